"""The local viewer: ``chaintracer ui`` (a read-only web app) and ``chaintracer report`` (one HTML file).

``api`` turns store queries into the JSON the front end reads; ``server`` serves it with the
static files; ``report`` embeds the same JSON into a self-contained page. The front end lives in
``static/`` (hand-written JS and CSS: no build step, no CDN, nothing downloaded at run time).
"""
