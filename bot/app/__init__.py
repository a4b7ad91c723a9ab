"""The GitHub App: jobs, their queue and store, the review service, the web server."""
