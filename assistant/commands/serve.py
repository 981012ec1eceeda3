"""Start the web app (Gradio): chat with cited answers, sources panel, filters, export, upload.

The built-in corpus is ingested first if the store does not have it yet. The app listens on
127.0.0.1:7860 by default (only this machine); use --host 0.0.0.0 to serve the local network.
With --password (or ASSISTANT_PASSWORD) the browser asks for a login: any user name
(e.g. "delegate") with that password.
"""

from __future__ import annotations


def add_arguments(parser) -> None:
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1) [ASSISTANT_HOST]")
    parser.add_argument("--port", type=int, help="port to listen on (default 7860) [ASSISTANT_PORT]")
    parser.add_argument("--password", help="require this password (any user name, e.g. delegate) "
                                           "[ASSISTANT_PASSWORD]")


def run(args, settings) -> int:
    # Imported here: Gradio and the models are slow to import and other commands do not need them.
    from assistant.app import AppServices, launch
    from vectorstore.errors import UserError
    from vectorstore.ingest import open_store

    store = open_store(settings)
    where = f"http://{settings.host}:{settings.port}"
    login = " (password required; any user name, e.g. delegate)" if settings.password else ""
    print(f"Starting the app on {where}{login}. Press Ctrl+C to stop.", flush=True)
    try:
        launch(settings, AppServices(settings, store=store))
    except OSError as exc:  # Gradio: "Cannot find empty port in range ..."
        raise UserError(f"Cannot listen on {settings.host}:{settings.port} ({exc}). "
                        "Choose another port with --port or stop the program using it.") from exc
    return 0
