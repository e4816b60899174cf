# The real server (uvicorn: HTTP and WebSockets) on the test database, as for calls.
from tests.calls.conftest import asgi_server  # noqa: F401
