"""Start the web app (Gradio) and its MCP tools: chat with cited answers, sources, upload, export.

The built-in corpus is ingested first if the store does not have it yet. The app listens on
127.0.0.1:7860 by default (only this machine). With a password (ASSISTANT_PASSWORD,
--password-file FILE, or --password, which `ps` shows) the browser asks for a login: any user
name (e.g. "delegate") with that password, and MCP clients send `Authorization: Bearer PASSWORD`.
Serving beyond loopback (--host 0.0.0.0) needs a password, or --allow-insecure-bind.
The MCP tools (lookup_paragraph, search_paragraphs, list_documents, answer) are served at
http://HOST:PORT/gradio_api/mcp/ unless --no-mcp.
"""

from __future__ import annotations

import ipaddress


def add_arguments(parser) -> None:
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1) [ASSISTANT_HOST]")
    parser.add_argument("--port", type=int, help="port to listen on (default 7860) [ASSISTANT_PORT]")
    parser.add_argument("--password", help="require this password (any user name, e.g. delegate); "
                                           "visible in `ps`: prefer ASSISTANT_PASSWORD or --password-file")
    parser.add_argument("--password-file", help="read the password from the first line of this file "
                                                "[ASSISTANT_PASSWORD_FILE]")
    parser.add_argument("--allow-insecure-bind", action="store_true", default=None,
                        help="serve on a non-loopback address without a password "
                             "[ASSISTANT_ALLOW_INSECURE_BIND]")
    parser.add_argument("--allow-builtin-upload", action="store_true", default=None,
                        help="let uploads replace the built-in reports [ASSISTANT_ALLOW_BUILTIN_UPLOAD]")
    parser.add_argument("--no-mcp", dest="mcp", action="store_false", default=None,
                        help="do not serve the MCP tools [ASSISTANT_MCP=false]")
    parser.add_argument("--max-upload-mb", type=int, help="largest upload in MB (default 20) "
                                                          "[ASSISTANT_MAX_UPLOAD_MB]")
    parser.add_argument("--queue-size", type=int,
                        help="requests that may wait before the app answers 'busy, try again' (default 32) "
                             "[ASSISTANT_QUEUE_SIZE]")


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name other than localhost may resolve to anything
        return False


def check_access(settings, password: str) -> None:
    """Refuse to serve beyond loopback without a password unless the operator opted in."""
    from vectorstore.errors import UserError

    if not password and not is_loopback(settings.host) and not settings.allow_insecure_bind:
        raise UserError(
            f"Refusing to serve on {settings.host} without a password: anyone who can reach it could "
            "read, ask and upload. Set ASSISTANT_PASSWORD or --password-file, or pass "
            "--allow-insecure-bind if this network is trusted.")


def run(args, settings) -> int:
    # Imported here: Gradio and the models are slow to import and other commands do not need them.
    from assistant.app import AppServices, launch
    from vectorstore.errors import UserError
    from vectorstore.ingest import open_store

    password = settings.login_password()
    check_access(settings, password)
    settings = settings.with_overrides(password=password)
    store = open_store(settings)
    where = f"http://{settings.host}:{settings.port}"
    login = " (password required; any user name, e.g. delegate)" if password else ""
    print(f"Starting the app on {where}{login}. Press Ctrl+C to stop.", flush=True)
    if settings.mcp:
        auth = " (header Authorization: Bearer PASSWORD)" if password else ""
        print(f"MCP tools: {where}/gradio_api/mcp/{auth}", flush=True)
    if not password and not is_loopback(settings.host):
        print("WARNING: serving beyond loopback without a password (--allow-insecure-bind).", flush=True)
    try:
        launch(settings, AppServices(settings, store=store))
    except OSError as exc:  # Gradio: "Cannot find empty port in range ..."
        raise UserError(f"Cannot listen on {settings.host}:{settings.port} ({exc}). "
                        "Choose another port with --port or stop the program using it.") from exc
    return 0
