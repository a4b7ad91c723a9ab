"""The only place that talks to GitHub.

What is asked is written once, as sans-I/O steps: the pull request gather (gather.py, on the
request types of steps.py and the context model of context.py) and every other question
(questions.py); what the answers mean is meaning.py. Two thin drivers send the steps: the App's
gidgethub client (client.py, fetch.py) and `preview`'s PyGithub (pygithub_adapter.py). Every
write is in writer.py; the App's own authentication and registration in auth.py and manifest.py.
"""
