from django.http import HttpRequest, HttpResponse, JsonResponse

from masthead.news.middleware import has_nul

# The API takes small JSON documents; anything bigger is refused before it is read.
MAX_BODY = 16 * 1024


class ApiLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Refuse oversized or malformed bodies before they are read; answer every /api/ error
        as JSON in the API's error shape."""
        if request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return JsonResponse({"error": "bad Content-Length"}, status=400)
            if length > MAX_BODY:
                return JsonResponse({"error": f"body larger than {MAX_BODY} bytes"}, status=413)
            if has_nul(request):  # PostgreSQL refuses it in any text; never a 500
                return JsonResponse({"error": "NUL characters are not accepted"}, status=422)
            response = self.get_response(request)
            if response.status_code == 404 and "json" not in response.get("Content-Type", ""):
                return JsonResponse({"error": "not found"}, status=404)  # no route: same shape
            return response
        return self.get_response(request)
