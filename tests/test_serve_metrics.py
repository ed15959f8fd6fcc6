"""lstmcast.serve.metrics: the service's counters in Prometheus's text format."""

import threading

from lstmcast.serve.metrics import BATCH_BUCKETS, LATENCY_BUCKETS, Histogram, Metrics


def test_a_histogram_counts_at_or_below_each_bound_cumulatively():
    h = Histogram((1.0, 5.0))
    for value in (0.5, 1.0, 3.0, 5.0, 9.0):
        h.observe(value)
    assert h.lines("x") == ['x_bucket{le="1"} 2',  # 0.5 and 1.0 (at the bound counts)
                            'x_bucket{le="5"} 4',
                            'x_bucket{le="+Inf"} 5',
                            "x_sum 18.500000", "x_count 5"]
    assert h.lines("x", 'path="/a"')[0] == 'x_bucket{path="/a",le="1"} 2'
    assert h.lines("x", 'path="/a"')[-2:] == ['x_sum{path="/a"} 18.500000',
                                              'x_count{path="/a"} 5']


def parse(text):
    """The samples of an exposition: {name{labels}: value}."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def test_requests_errors_and_latency_by_route():
    m = Metrics()
    m.request("/forecast", "POST", 200, 0.003)
    m.request("/forecast", "POST", 200, 0.02)
    m.request("/forecast/store-7", "GET", 404, 0.001)
    m.request("/admin", "GET", 404, 0.5)  # not a route: "other"
    m.request("/observe", "POST", 503, 3.0)
    samples = parse(m.text(series=12))
    assert samples['lstmcast_requests_total{path="/forecast",method="POST",code="200"}'] == 2
    assert samples['lstmcast_requests_total{path="/forecast/{series}",method="GET",'
                   'code="404"}'] == 1
    assert samples['lstmcast_requests_total{path="other",method="GET",code="404"}'] == 1
    assert samples['lstmcast_errors_total{code="404"}'] == 2
    assert samples['lstmcast_errors_total{code="503"}'] == 1
    assert 'lstmcast_errors_total{code="200"}' not in samples
    assert samples['lstmcast_request_seconds_bucket{path="/forecast",le="0.005"}'] == 1
    assert samples['lstmcast_request_seconds_bucket{path="/forecast",le="0.025"}'] == 2
    assert samples['lstmcast_request_seconds_count{path="/forecast"}'] == 2
    assert samples['lstmcast_request_seconds_sum{path="/forecast"}'] == 0.023
    assert samples['lstmcast_request_seconds_bucket{path="/observe",le="2.5"}'] == 0
    assert samples['lstmcast_request_seconds_bucket{path="/observe",le="+Inf"}'] == 1
    assert samples["lstmcast_series"] == 12


def test_batches_and_the_format_s_frame():
    m = Metrics()
    m.batch(requests=3, windows=40)
    m.batch(requests=1, windows=1)
    text = m.text(series=0)
    assert text.endswith("\n") and "\n\n" not in text
    samples = parse(text)
    assert samples['lstmcast_batch_requests_bucket{le="1"}'] == 1
    assert samples['lstmcast_batch_requests_bucket{le="4"}'] == 2
    assert samples['lstmcast_batch_windows_bucket{le="32"}'] == 1
    assert samples['lstmcast_batch_windows_bucket{le="64"}'] == 2
    assert samples["lstmcast_batch_windows_sum"] == 41
    for name, kind in (("lstmcast_requests_total", "counter"),
                       ("lstmcast_errors_total", "counter"),
                       ("lstmcast_request_seconds", "histogram"),
                       ("lstmcast_batch_windows", "histogram"), ("lstmcast_series", "gauge")):
        assert f"# TYPE {name} {kind}\n" in text
    windows = [k for k in samples if k.startswith("lstmcast_batch_windows_bucket")]
    assert len(windows) == len(BATCH_BUCKETS) + 1
    assert list(LATENCY_BUCKETS) == sorted(LATENCY_BUCKETS)


def test_counts_from_many_threads_add_up():
    m = Metrics()

    def work():
        for _ in range(500):
            m.request("/health", "GET", 200, 0.001)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    samples = parse(m.text(series=0))
    assert samples['lstmcast_requests_total{path="/health",method="GET",code="200"}'] == 2000
    assert samples['lstmcast_request_seconds_count{path="/health"}'] == 2000
