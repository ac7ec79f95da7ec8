"""Build, serve, drive and benchmark the try-on page (``web_demo/``)."""
