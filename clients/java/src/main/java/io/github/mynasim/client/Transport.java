// SPDX-License-Identifier: Apache-2.0
package io.github.mynasim.client;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * The HTTP side of the client: one {@link HttpClient} (HTTP/1.1, no redirects followed, TLS
 * trusting the simulator's CA), a timeout on every call, bodies bounded in size. Public so that
 * tests and examples can reuse the TLS setup; most users never need it.
 */
public final class Transport {
  /** Largest body read from any answer: 64 MiB. */
  public static final int MAX_BODY_BYTES = 64 * 1024 * 1024;
  /** The header mynasim puts on every answer: the virtual now (RFC 3339 with offset). */
  public static final String VIRTUAL_TIME_HEADER = "Mynasim-Virtual-Time";

  /** The SNI host name sent when a URL's host is an IP address (the dev certificates name it). */
  public static final String DEFAULT_SNI = "localhost";
  private final HttpClient http;
  private final Duration timeout;
  private final AtomicReference<String> lastVirtualTime = new AtomicReference<>();

  /** An answer: status, headers, body text. */
  public static final class Response {
    public final int status;
    public final java.net.http.HttpHeaders headers;
    public final String body;

    Response(int status, java.net.http.HttpHeaders headers, String body) {
      this.status = status;
      this.headers = headers;
      this.body = body;
    }

    /** The first value of a header, or null. */
    public String header(String name) {
      return headers.firstValue(name).orElse(null);
    }

    /** The body parsed as JSON. */
    public Object json() {
      return Json.parse(body);
    }
  }

  /**
   * @param caFile PEM file of the CA(s) to trust for https (null: the JDK's default trust)
   * @param timeout per call (connect and answer)
   */
  public Transport(Path caFile, Duration timeout) {
    this.timeout = timeout;
    HttpClient.Builder b = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(timeout);
    if (caFile != null) {
      b.sslContext(sslContextTrusting(caFile));
    }
    // SNI: the JDK sends the URL's host name; for an IP literal (mynasim's ready file names
    // https://127.0.0.1:…) it would send none, so name the certificates' first DNS name instead.
    SSLParameters p = new SSLParameters();
    p.setServerNames(List.of(new SNIHostName(DEFAULT_SNI)));
    b.sslParameters(p);
    this.http = b.build();
  }

  /** An SSLContext that trusts exactly the certificates in a PEM file. */
  public static SSLContext sslContextTrusting(Path caFile) {
    try (InputStream in = Files.newInputStream(caFile)) {
      Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (certs.isEmpty()) {
        throw new MynasimException(0, "bad_ca", "no certificate in " + caFile);
      }
      KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
      ks.load(null, null);
      int i = 0;
      for (Certificate c : certs) {
        ks.setCertificateEntry("mynasim-ca-" + i++, c);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (IOException | GeneralSecurityException e) {
      throw new MynasimException(0, "bad_ca", "cannot read the CA " + caFile + ": " + e.getMessage(), null, e);
    }
  }

  /** The per-call timeout. */
  public Duration timeout() {
    return timeout;
  }

  /** The value of {@value #VIRTUAL_TIME_HEADER} on the latest answer that carried it, or null. */
  public String lastVirtualTime() {
    return lastVirtualTime.get();
  }

  /**
   * Sends one request.
   *
   * @param headers name/value pairs
   */
  public Response send(String method, String url, String body, String contentType, String... headers) {
    HttpRequest.Builder rb;
    try {
      rb = HttpRequest.newBuilder(URI.create(url)).timeout(timeout);
    } catch (IllegalArgumentException e) {
      throw new MynasimException(0, "bad_url", "not a URL: " + url, null, e);
    }
    HttpRequest.BodyPublisher pub = body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8);
    rb.method(method, pub);
    if (body != null && contentType != null) {
      rb.header("Content-Type", contentType);
    }
    for (int i = 0; i + 1 < headers.length; i += 2) {
      if (headers[i + 1] != null) {
        rb.header(headers[i], headers[i + 1]);
      }
    }
    HttpResponse<InputStream> r;
    try {
      r = http.send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (java.net.http.HttpTimeoutException e) {
      throw new MynasimException(0, "timeout", method + " " + url + ": no answer within " + timeout, null, e);
    } catch (IOException e) {
      throw new MynasimException(0, "io_error", method + " " + url + ": " + e, null, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MynasimException(0, "interrupted", method + " " + url + ": interrupted", null, e);
    }
    String text;
    try (InputStream in = r.body()) {
      byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
      if (bytes.length > MAX_BODY_BYTES) {
        throw new MynasimException(r.statusCode(), "body_too_large",
            method + " " + url + ": answer larger than " + MAX_BODY_BYTES + " bytes");
      }
      text = new String(bytes, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new MynasimException(0, "io_error", method + " " + url + ": reading the answer: " + e, null, e);
    }
    r.headers().firstValue(VIRTUAL_TIME_HEADER).ifPresent(lastVirtualTime::set);
    return new Response(r.statusCode(), r.headers(), text);
  }

  /** Turns an error answer into a {@link MynasimException} with its status, error and message. */
  public static MynasimException errorOf(String what, Response r) {
    String error = "http_" + r.status;
    String message = null;
    try {
      Object v = Json.parse(r.body);
      if (v instanceof Map) {
        Map<String, Object> m = Json.asMap(v);
        if (Json.str(m, "error") != null) {
          error = Json.str(m, "error");
        }
        message = Json.str(m, "message");
        if (message == null) {
          message = Json.str(m, "error_description");
        }
      }
    } catch (Json.JsonException ignored) {
      // not JSON: keep the text
    }
    if (message == null) {
      String t = r.body == null ? "" : r.body.strip();
      message = t.length() > 500 ? t.substring(0, 500) + "…" : t;
    }
    return new MynasimException(what, r.status, error, message, r.body, null);
  }

  /** Helper for tests: the names of an answer's headers. */
  static List<String> names(Response r) {
    return List.copyOf(r.headers.map().keySet());
  }
}
