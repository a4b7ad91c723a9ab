"""The GitHub adapter: App authentication, a careful client, snapshot gathering, writing results."""
