# The real server (uvicorn: HTTP and WebSockets) on the test database, as for calls.
from tests.calls.conftest import _contexts_closed, asgi_server  # noqa: F401
