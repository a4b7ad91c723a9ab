"""GitHub's REST error answers: status codes, messages and body shapes."""

from __future__ import annotations

from typing import Any

DOCS = "https://docs.github.com/rest"


class GitHubError(Exception):
    """An error answer; handlers raise it and the server turns it into JSON."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        documentation_url: str = DOCS,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.documentation_url = documentation_url
        self.errors = errors
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        body["documentation_url"] = self.documentation_url
        body["status"] = str(self.status)
        return body


def not_found(documentation_url: str = DOCS) -> GitHubError:
    return GitHubError(404, "Not Found", documentation_url=documentation_url)


def bad_credentials() -> GitHubError:
    return GitHubError(401, "Bad credentials")


def requires_authentication() -> GitHubError:
    return GitHubError(401, "Requires authentication")


def not_accessible() -> GitHubError:
    return GitHubError(403, "Resource not accessible by integration")


def problems_parsing_json() -> GitHubError:
    return GitHubError(400, "Problems parsing JSON")


def invalid_request(detail: str, documentation_url: str = DOCS) -> GitHubError:
    """A body that breaks the endpoint's JSON schema (GitHub's "Invalid request." answers)."""
    return GitHubError(422, f"Invalid request.\n\n{detail}", documentation_url=documentation_url)


def validation_failed(
    resource: str, field: str, message: str, documentation_url: str = DOCS, code: str = "custom"
) -> GitHubError:
    """A body that passes the schema but breaks a model rule ("Validation Failed")."""
    error = {"resource": resource, "code": code, "field": field, "message": message}
    return GitHubError(
        422, "Validation Failed", errors=[error], documentation_url=documentation_url
    )


def not_supplied(names: list[str], documentation_url: str = DOCS) -> GitHubError:
    quoted = ", ".join(f'"{name}"' for name in names)
    verb = "wasn't" if len(names) == 1 else "weren't"
    return invalid_request(f"{quoted} {verb} supplied.", documentation_url)
