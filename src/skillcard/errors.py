"""One error tree for the whole of skillcard.

    SkillcardError                      code             HTTP  CLI exit
     ├── InvalidInput                   invalid_input     422   2
     │    ├── InvalidCardNumber         invalid_card_number
     │    ├── BadCursor                 bad_cursor        400   (a feed cursor never given)
     │    └── ReferenceDataError        reference_data    (file, line, reason)
     ├── NotFound                       not_found         404   2
     ├── Gone                           gone              410   2   (kept for a time, now deleted)
     ├── Conflict                       conflict          409   2
     │    └── IllegalTransition         illegal_transition
     ├── NotAuthenticated               not_authenticated 401   2
     │    └── SessionExpired            session_expired
     ├── PermissionDenied               forbidden         403   2
     │    └── CsrfFailure               csrf_failed
     ├── RateLimited                    rate_limited      429   2   (sends Retry-After)
     │    └── LimitsUnavailable         limits_unavailable 503  2   (the counters cannot be
     │                                                                reached: refused, not let by)
     └── Unavailable                    unavailable       503   2   (the primary database is down)

An error about one input names it (``InvalidInput("...", field="site")``): a page shows the
message beside that field without reading the words.

Adapters translate library errors (an IntegrityError, an argon2 mismatch) into these, so the
web and CLI layers only ever map this tree to status codes and exit codes.
"""

from __future__ import annotations


class SkillcardError(Exception):
    code = "error"
    http_status = 400
    headers: dict[str, str] | None = None  # extra HTTP headers the answer must carry

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field  # the form field it is about, for a page to show it beside


class InvalidInput(SkillcardError):
    code = "invalid_input"
    http_status = 422


class InvalidCardNumber(InvalidInput):
    code = "invalid_card_number"


class BadCursor(InvalidInput):
    """A change feed cursor this hub never gave: the request itself is malformed."""

    code = "bad_cursor"
    http_status = 400


class ReferenceDataError(InvalidInput):
    code = "reference_data"

    def __init__(self, file: str, line: int, reason: str) -> None:
        super().__init__(f"{file}, line {line}: {reason}")
        self.file, self.line, self.reason = file, line, reason


class NotFound(SkillcardError):
    code = "not_found"
    http_status = 404


class Gone(SkillcardError):
    code = "gone"
    http_status = 410


class Conflict(SkillcardError):
    code = "conflict"
    http_status = 409


class IllegalTransition(Conflict):
    code = "illegal_transition"


class NotAuthenticated(SkillcardError):
    code = "not_authenticated"
    http_status = 401


class SessionExpired(NotAuthenticated):
    code = "session_expired"


class PermissionDenied(SkillcardError):
    code = "forbidden"
    http_status = 403


class CsrfFailure(PermissionDenied):
    code = "csrf_failed"


class RateLimited(SkillcardError):
    code = "rate_limited"
    http_status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))
        self.headers = {"Retry-After": str(self.retry_after)}


class LimitsUnavailable(RateLimited):
    """A guarded door (sign-in, a form that sends e-mail) refused because its rate counters
    cannot be reached: without them it could not stop guessing or mail bombing."""

    code = "limits_unavailable"
    http_status = 503


class Unavailable(SkillcardError):
    """The primary database cannot be reached: a change cannot be saved now. Reads that a
    replica can answer (public checks, the verifier bundle) go on."""

    code = "unavailable"
    http_status = 503

    def __init__(self, message: str = "", *, field: str | None = None) -> None:
        super().__init__(message or PRIMARY_DOWN, field=field)
        self.headers = {"Retry-After": "30"}


PRIMARY_DOWN = (
    "skillcard cannot save changes right now: its main database is not answering. "
    "Please try again in a few minutes."
)
