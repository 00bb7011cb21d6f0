"""The monitor's web dashboard: an ASGI app (Starlette) over the history store.

``app.py`` the routes, jobs and JSON API; ``pages.py`` the HTML of each page in
the HTML reports' look (``report``); ``charts.py`` inline SVG charts;
``security.py`` the token, CSRF and header guards; ``server.py`` uvicorn in
the monitor's own event loop; ``static/`` the one script and the style sheet.
Reads the store only through ``store.views``; never imports ``monitor`` (the
monitor hands in its probe as a function) or ``cli``.
"""
