import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LlnError } from '../errors';
import { parseListen } from './config-schema';

/**
 * The daemon's Prometheus metrics, in one registry of its own (not prom-client's global one, so
 * tests and several daemons in one process never collide). Names follow Prometheus conventions:
 * lln_ prefix, _total for counters, base units (seconds, bytes).
 */
export class DaemonMetrics {
  readonly registry = new Registry();
  private readonly startedAt = Date.now();

  readonly packetsCaptured = this.counter('lln_packets_captured_total', 'Packets taken from the interface (spool files count in lln_packets_scored_total{interface="spool"})', ['interface']);
  readonly bytesCaptured = this.counter('lln_bytes_captured_total', 'Captured bytes', ['interface']);
  readonly packetsDecoded = this.counter('lln_packets_decoded_total', 'Packets decoded (with or without a decode problem)', ['interface']);
  readonly packetsScored = this.counter('lln_packets_scored_total', 'Packets given a score, counted once it is final: after the 30 s look-back (lln_packets_pending are still waiting)', ['interface']);
  readonly decodeErrors = this.counter('lln_decode_errors_total', 'Packets with a decode problem, by reason', ['reason']);
  readonly windowsScored = this.counter('lln_windows_scored_total', 'Windows run through the model');
  readonly windowsDropped = this.counter('lln_windows_dropped_total', 'Windows not scored because the scorer fell behind');
  // Overload shedding (docs/daemon.md, "Overload"): model work given up before any packet is.
  readonly windowsShed = this.counter('lln_windows_shed_total', 'Windows due at the configured stride that were not scored because the daemon was shedding model work under overload');
  readonly packetsShed = this.counter('lln_packets_shed_total', 'Packets no scored window covered (windows shed or dropped); each holds the median score of the nearest scored window');
  readonly shedSeconds = this.counter('lln_shed_seconds_total', 'Seconds spent shedding model work (shed level above 0)');
  readonly anomalies = this.counter('lln_anomalies_total', 'Packets scored at or above the threshold');
  readonly incidents = this.counter('lln_incidents_total', 'Incidents opened');
  readonly suppressedRows = this.counter('lln_suppressed_rows_total', 'Alert rows not written because of the rate limits', ['reason']);
  readonly queueDrops = this.counter('lln_capture_queue_drops_total', 'Packets dropped because the capture queue was full', ['interface']);
  // libpcap's own counters (pcap_stats): the kernel ring's losses, which no /sys counter shows.
  readonly pcapReceived = this.counter('lln_capture_pcap_received_total', 'Packets libpcap received (passed the filter), including those its ring then dropped', ['interface']);
  readonly pcapDropped = this.counter('lln_capture_pcap_dropped_total', "Packets lost because libpcap's kernel ring was full (the sensor did not see them)", ['interface']);
  readonly pcapIfDropped = this.counter('lln_capture_pcap_ifdropped_total', 'Packets the interface or driver dropped while capturing (libpcap ps_ifdrop)', ['interface']);
  readonly spoolFiles = this.counter('lln_spool_files_total', 'Spool files processed, by result', ['result']);

  readonly queueDepth = this.gauge('lln_queue_depth', 'Items waiting between pipeline stages', ['queue']);
  readonly kernelDrops = this.gauge('lln_interface_rx_dropped', 'Kernel rx_dropped counter of the interface (/sys/class/net)', ['interface']);
  readonly kernelRxPackets = this.gauge('lln_interface_rx_packets', 'Kernel rx_packets counter of the interface', ['interface']);
  readonly kernelErrors = this.gauge('lln_interface_rx_errors', 'Kernel rx_errors counter of the interface', ['interface']);
  readonly captureUp = this.gauge('lln_capture_up', '1 while capture on the interface is running, 0 while it is retrying', ['interface']);
  readonly modelInfo = this.gauge('lln_model_info', 'Always 1; labels name the loaded model', ['model_id', 'backend']);
  readonly threshold = this.gauge('lln_model_threshold', 'Anomaly threshold in use');
  // Learning (docs/daemon.md, "Learning its own network").
  readonly lifecycle = this.gauge('lln_lifecycle_state', '1 for the lifecycle state the sensor is in (learning, detecting), 0 for the others', ['state']);
  readonly trainingRunning = this.gauge('lln_training_running', '1 while a background training runs');
  readonly trainings = this.counter('lln_trainings_total', 'Background trainings finished, by result (accepted, refused)', ['result']);
  readonly spoolPackets = this.gauge('lln_training_spool_packets', 'Packets held in the training spool');
  readonly spoolBytes = this.gauge('lln_training_spool_bytes', 'Bytes held in the training spool (capped by learning.spool.maxBytes)');

  readonly inferenceSeconds = new Histogram({
    name: 'lln_inference_seconds',
    help: 'Time for one model.predict call (one batch of windows)',
    labelNames: ['batch'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  /**
   * Packets in the scoring pipeline's look-back queue, read at each scrape (the daemon points it
   * at its pipeline): without it, lln_packets_scored_total stays near 0 for the first 30 s of
   * capture and the sensor looks hung.
   */
  pendingPackets: () => number = () => 0;
  /** The shed level and effective stride now, read at each scrape (the daemon points these at its shedder). */
  shedLevel: () => number = () => 0;
  shedStride: () => number = () => 0;

  constructor(opts: { processMetrics?: boolean } = {}) {
    const startedAt = this.startedAt;
    const pending = () => this.pendingPackets();
    new Gauge({
      name: 'lln_packets_pending',
      help: 'Packets captured and waiting for a final score (the 30 s flow look-back, or the scorer); lln_packets_scored_total counts them after',
      registers: [this.registry],
      collect() {
        this.set(pending());
      },
    });
    const level = () => this.shedLevel(), stride = () => this.shedStride();
    new Gauge({
      name: 'lln_shed_level',
      help: 'Overload shedding: 0 scores every window due at the configured stride; level L scores one in 2^L (lln_shed_stride packets apart)',
      registers: [this.registry],
      collect() {
        this.set(level());
      },
    });
    new Gauge({
      name: 'lln_shed_stride',
      help: 'Packets between scored windows now: the configured stride times 2^lln_shed_level',
      registers: [this.registry],
      collect() {
        this.set(stride());
      },
    });
    new Gauge({
      name: 'lln_uptime_seconds',
      help: 'Seconds since the daemon started',
      registers: [this.registry],
      collect() {
        this.set((Date.now() - startedAt) / 1000);
      },
    });
    // Memory, CPU, event-loop lag, open fds: the standard process_* and nodejs_* series.
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Replace the model_info series (the model can change on reload). */
  setModel(modelId: string, backend: string): void {
    this.modelInfo.reset();
    this.modelInfo.set({ model_id: modelId, backend }, 1);
  }

  private counter<L extends string>(name: string, help: string, labelNames: L[] = []): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private gauge<L extends string>(name: string, help: string, labelNames: L[] = []): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Serve GET /metrics (Prometheus text format) and GET /healthz on `listen` (host:port; port 0
 * picks a free one). `healthy` decides /healthz: 200 "ok" or 503 "unhealthy".
 */
export function startMetricsServer(listen: string, metrics: DaemonMetrics, healthy: () => boolean = () => true, details: () => string = () => ''): Promise<MetricsServer> {
  const hp = parseListen(listen);
  if (!hp) return Promise.reject(new LlnError('LLN_E_CONFIG', `metrics.listen: expected host:port, got '${listen}'`));
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (url === '/metrics') {
      metrics.registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body),
        (e: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics collection failed: ${e.message}\n`),
      );
    } else if (url === '/healthz') {
      const ok = healthy();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end((ok ? 'ok\n' : 'unhealthy\n') + details());
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /healthz\n');
    }
  });
  // A scraper that holds a connection open must not keep the daemon from stopping.
  server.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'EADDRINUSE' ? 'address already in use (another lln-detect running?)' : e.code === 'EADDRNOTAVAIL' ? 'no such local address' : e.message;
      reject(new LlnError('LLN_E_CONFIG', `metrics.listen ${listen}: cannot listen: ${why}; change metrics.listen in the config`, { cause: e }));
    });
    server.listen(hp.port, hp.host, () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
