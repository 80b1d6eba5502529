import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /metrics`: the Prometheus text exposition format (version 0.0.4) — the request metrics `metrics` recorded,
/// and the gauges read from the latest snapshot of each of `instances()` at the time of the scrape.
func addPrometheusRoutes(
    to router: Router<some RequestContext>,
    metrics: ServerMetrics,
    instances: @escaping @Sendable () -> [ServerState]
) {
    router.get("/metrics") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: ServerMetrics.contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.render(instances: instances())))
        )
    }
}
