"""gunicorn settings for production: ``gunicorn -c gunicorn.conf.py showcase.wsgi``.

Every value can be set from the environment, so one file serves every machine. See
docs/deployment.md for the whole set-up (proxy, database, shared cache, media).
"""

import os

# Behind the reverse proxy on the same machine; the proxy terminates HTTPS.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Rendering is CPU-bound Python: about two processes per core. Each keeps one persistent
# database connection (DATABASE_CONN_MAX_AGE), so workers × app servers must stay below
# PostgreSQL's max_connections.
workers = int(os.environ.get("GUNICORN_WORKERS", str(2 * (os.cpu_count() or 1))))
# Threads let a worker keep idle keep-alive connections from the proxy and overlap database
# waits; one thread per worker is the plain, fully isolated default.
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread" if threads > 1 else "sync"

# A request that takes longer than this is killed and logged; the slowest page measured
# (an open-data file of every published estate) stays far below it.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5

# Recycle workers now and then so a slow leak can never grow without bound. A recycled
# worker closes its idle keep-alive connections; the proxy in front retries on a fresh one,
# a bare load generator counts an error, so measurements turn it off (GUNICORN_MAX_REQUESTS=0).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10

# Trust X-Forwarded-* only from the proxy in front.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# An empty GUNICORN_ACCESS_LOG turns the access log off (the proxy keeps one).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
# The common format, and whether the page came from the page cache (hit or miss; "-" for
# what it does not keep): the load test reads the hit ratio from it.
access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %({x-page-cache}o)s'
)

errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


def post_worker_init(worker):
    """Write the profile views each worker counts from a background thread, so no request
    waits for the write (showcase/viewcounts.py)."""
    from showcase import viewcounts

    viewcounts.start_timer()


def worker_exit(server, worker):
    """Write the profile views this worker has counted but not yet written (it has answered
    its last request by now)."""
    from showcase import viewcounts

    viewcounts.flush()
