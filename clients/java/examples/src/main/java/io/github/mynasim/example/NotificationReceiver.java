// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.example;

import com.sun.net.httpserver.HttpServer;
import io.github.mynasim.client.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The API user's IF001-05 endpoint: a local HTTP server that acknowledges each notification at
 * once with an {@code IFA0302-S01} telegram echoing the header, and queues the header.
 */
public final class NotificationReceiver implements AutoCloseable {
  private final HttpServer server;
  private final BlockingQueue<Map<String, Object>> received = new LinkedBlockingQueue<>();

  public NotificationReceiver() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/myna/notify", ex -> {
      byte[] in;
      try (InputStream is = ex.getRequestBody()) {
        in = is.readNBytes(64 * 1024);
      }
      Map<String, Object> header;
      try {
        header = Json.asMap(Json.parseObject(new String(in, StandardCharsets.UTF_8)).get("commonHeader"));
      } catch (RuntimeException e) {
        ex.sendResponseHeaders(400, -1);
        ex.close();
        return;
      }
      Map<String, Object> ack = Json.obj("commonHeader", Json.obj("telegramId", header.get("telegramId"),
          "telegramType", "IFA0302-S01", "mode", header.get("mode"), "processId", header.get("processId"),
          "errorCode", ""));
      byte[] out = Json.write(ack).getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, out.length);
      try (OutputStream os = ex.getResponseBody()) {
        os.write(out);
      }
      received.add(header);
    });
    server.start();
  }

  /** The URL to register as notification_url. */
  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/myna/notify";
  }

  /** The next notification's commonHeader, or null after {@code millis}. */
  public Map<String, Object> await(long millis) throws InterruptedException {
    return received.poll(millis, TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
