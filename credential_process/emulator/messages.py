"""Request and response values passed between the HTTP server and the handlers."""

import json
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Tuple


class HeaderDict(dict):
    """Dict of HTTP headers with lower-case names that also finds mixed-case names."""

    def __init__(self, items: Iterable[Tuple[str, str]] = ()) -> None:
        super().__init__()
        for name, value in items:
            lower = name.lower()
            # Repeated headers join with commas, as RFC 9110 section 5.3 allows.
            self[lower] = f"{self[lower]},{value}" if lower in self else value

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(name.lower())

    def get(self, name: str, default: Any = None) -> Any:
        return super().get(name.lower(), default)


@dataclass
class ServiceRequest:
    method: str
    # Path as sent, still percent-encoded, without the query string.
    path: str
    raw_query: str
    query: Dict[str, str]
    headers: HeaderDict
    # Every header in the order received, for SigV4 canonical headers.
    header_items: List[Tuple[str, str]]
    body: bytes
    request_id: str
    # Base URL of the emulator, for verification and authorization URLs.
    base_url: str


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: Optional[str] = "application/json"
    headers: Dict[str, str] = field(default_factory=dict)


def json_response(data: Any, status: int = 200) -> Response:
    return Response(status, json.dumps(data).encode())


def html_response(title: str, text: str, status: int = 200) -> Response:
    """Build a minimal HTML page. Both arguments must already be HTML-escaped."""
    page = (
        f"<!DOCTYPE html><html><head><title>{title}</title></head>"
        f"<body><h1>{title}</h1><p>{text}</p></body></html>"
    )
    return Response(status, page.encode(), content_type="text/html; charset=utf-8")
