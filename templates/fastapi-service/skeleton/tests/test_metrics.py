from prometheus_client import REGISTRY


def requests_counted(route: str, status: str) -> float:
    return REGISTRY.get_sample_value("http_requests_total", {"method": "GET", "route": route, "status": status}) or 0.0


def test_requests_are_counted_by_route_template(client):
    before_info = requests_counted("/api/v1/info", "200")
    before_unmatched = requests_counted("unmatched", "404")

    client.get("/api/v1/info")
    client.get("/api/v1/info")
    client.get("/no/such/page")

    assert requests_counted("/api/v1/info", "200") - before_info == 2
    assert requests_counted("unmatched", "404") - before_unmatched == 1


def test_metrics_are_exposed_in_the_prometheus_format(client):
    client.get("/api/v1/info")

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert 'http_requests_total{method="GET",route="/api/v1/info",status="200"}' in response.text
