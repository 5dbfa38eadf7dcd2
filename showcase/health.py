"""Answer load balancers' health checks before anything reads the Host header.

A load balancer calls each server directly: plain HTTP, its IP address as the Host, and it
follows no redirect. SecurityMiddleware would redirect that to HTTPS and the host check would
refuse the IP, so every server would look down. /healthz tells nothing about the site and
builds no link from the Host, so it is answered here, first; every other address still goes
through the host check and the HTTPS redirect.
"""

from . import views

HEALTH_PATH = "/healthz"


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == HEALTH_PATH and request.method in ("GET", "HEAD"):
            return views.healthz(request)
        return self.get_response(request)
