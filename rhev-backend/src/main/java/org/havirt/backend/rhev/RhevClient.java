package org.havirt.backend.rhev;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.Call;
import okhttp3.FormBody;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.havirt.types.Deadline;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.BackendException.Kind;

/**
 * A small client for the RHEV-M/oVirt REST API v4 in JSON: an OAuth token (renewed once on 401),
 * TLS always verified (against the system's CAs, or a CA file when given), a deadline on every
 * call, and RHEV-M's faults turned into plain messages. The password is held only to log in and
 * never appears in a message.
 *
 * <p>What it will not do: follow a redirect (a 3xx is an error naming the location, so a login is
 * never re-posted elsewhere), read an answer larger than its cap, or log in again within the pause
 * after RHEV-M refused the credentials (calls in that pause fail with the refusal, without a
 * request). Thread-safe.
 */
public final class RhevClient {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final MediaType APPLICATION_JSON = MediaType.get("application/json");

  private final HttpUrl base;
  private final String user;
  private final String password;
  private final OkHttpClient http;
  private final RequestLog requests = new RequestLog(org.havirt.types.Ticker.SYSTEM);
  private final long maxBody;
  private volatile String token;
  private volatile long loginPauseNanos = -1; // unset: 60 s
  // Guarded by this: the last refusal of the credentials, and when it came (System.nanoTime).
  private BackendException refused;
  private long refusedAt;

  /** The default cap on an answer's body: 64 MiB. */
  public static final long DEFAULT_MAX_BODY = 64L << 20;

  public RhevClient(String url, String user, String password, Optional<Path> caFile)
      throws BackendException {
    this(url, user, password, caFile, DEFAULT_MAX_BODY);
  }

  /**
   * A client of the RHEV-M at {@code url} (as {@link org.havirt.types.PasswordCipher#canonicalUrl}
   * gives it) that reads no answer larger than {@code maxBody} bytes.
   */
  public RhevClient(String url, String user, String password, Optional<Path> caFile, long maxBody)
      throws BackendException {
    this.maxBody = maxBody;
    HttpUrl u = HttpUrl.parse(url);
    if (u == null || !u.scheme().equals("https")) {
      throw new BackendException(
          Kind.MISCONFIGURED, "RHEVMInfo.URL must be an https:// URL, not '" + url + "'");
    }
    this.base = u;
    this.user = user;
    this.password = password;
    OkHttpClient.Builder b =
        new OkHttpClient.Builder()
            .connectTimeout(Duration.ofSeconds(10))
            .readTimeout(Duration.ofSeconds(60))
            // A redirect would re-send the login form, password included, wherever it points.
            .followRedirects(false)
            .followSslRedirects(false)
            .retryOnConnectionFailure(false);
    if (caFile.isPresent()) {
      X509TrustManager tm = trustOnly(caFile.get());
      try {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new javax.net.ssl.TrustManager[] {tm}, null);
        b.sslSocketFactory(ctx.getSocketFactory(), tm);
      } catch (GeneralSecurityException e) {
        throw new BackendException(
            Kind.MISCONFIGURED, "cannot set up TLS with " + caFile.get() + ": " + e.getMessage());
      }
    }
    this.http = b.build();
  }

  private static X509TrustManager trustOnly(Path pem) throws BackendException {
    try (InputStream in = Files.newInputStream(pem)) {
      KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
      ks.load(null, null);
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        ks.setCertificateEntry("ca" + i++, c);
      }
      if (i == 0) {
        throw new BackendException(
            Kind.MISCONFIGURED, "the CA file " + pem + " holds no certificate");
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      return (X509TrustManager) tmf.getTrustManagers()[0];
    } catch (IOException | GeneralSecurityException e) {
      throw new BackendException(
          Kind.MISCONFIGURED, "cannot read the CA file " + pem + ": " + e.getMessage());
    }
  }

  /** GETs {@code path} under /ovirt-engine/api with {@code query} pairs. */
  public JsonNode get(String path, Deadline d, String... query) throws BackendException {
    return call("GET", path, null, d, query);
  }

  /** POSTs {@code body} to {@code path} under /ovirt-engine/api. */
  public JsonNode post(String path, JsonNode body, Deadline d) throws BackendException {
    return call("POST", path, body, d);
  }

  /** PUTs {@code body} to {@code path} under /ovirt-engine/api (an update). */
  public JsonNode put(String path, JsonNode body, Deadline d) throws BackendException {
    return call("PUT", path, body, d);
  }

  /**
   * After RHEV-M refuses the credentials, no new login before {@code pause} has passed (the
   * shortest MonitorInterval of the resources that share this client): a wrong password costs one
   * failed login per interval, not one per request, and does not lock the account.
   */
  void pauseLoginsAfterRefusal(Duration pause) {
    long n = pause.toNanos();
    synchronized (this) {
      if (n > 0 && (loginPauseNanos < 0 || n < loginPauseNanos)) {
        loginPauseNanos = n;
      }
    }
  }

  /** What became of this client's requests lately (for {@code controlTrouble}). */
  RequestLog requests() {
    return requests;
  }

  /**
   * One request, logged: a request RHEV-M did not answer (unreachable, no answer by the deadline,
   * 5xx, garbage, untrusted TLS) is a failure; a fault RHEV-M answered with (404, 409, 403, a 401
   * after a fresh login) is an answer.
   */
  private JsonNode call(String method, String path, JsonNode body, Deadline d, String... query)
      throws BackendException {
    long ticket = requests.begin(method + " " + (path.isEmpty() ? "/" : path));
    Optional<String> failure = Optional.of("no answer");
    try {
      JsonNode answer = send(method, path, body, d, query);
      failure = Optional.empty();
      return answer;
    } catch (BackendException e) {
      failure = answered(e.kind()) ? Optional.empty() : Optional.of(e.getMessage());
      throw e;
    } catch (RuntimeException e) {
      failure = Optional.of(e.toString());
      throw e;
    } finally {
      requests.end(ticket, failure);
    }
  }

  private static boolean answered(Kind kind) {
    return switch (kind) {
      case NOT_FOUND, FAILED, PERMISSION -> true; // RHEV-M's own verdict on what it was asked
      case TRANSIENT, TIMED_OUT -> false; // unreachable, 5xx, garbage, or no answer in time
      case MISCONFIGURED -> false; // its TLS cannot be trusted: no answer we may believe
      case NOT_INSTALLED, UNSUPPORTED -> false; // never raised here; cannot tell, so not health
    };
  }

  private JsonNode send(String method, String path, JsonNode body, Deadline d, String... query)
      throws BackendException {
    HttpUrl.Builder ub =
        base.newBuilder()
            .addPathSegments("ovirt-engine/api")
            .addPathSegments(path.replaceFirst("^/", ""));
    for (int i = 0; i + 1 < query.length; i += 2) {
      ub.addQueryParameter(query[i], query[i + 1]);
    }
    HttpUrl url = ub.build();
    for (int attempt = 0; ; attempt++) {
      String t = token(d);
      Request.Builder rb =
          new Request.Builder()
              .url(url)
              .header("Accept", "application/json")
              .header("Version", "4")
              .header("Authorization", "Bearer " + t);
      rb.method(
          method, body == null ? null : RequestBody.create(body.toString(), APPLICATION_JSON));
      try (Response r = execute(rb.build(), d)) {
        refuseRedirect(r, method + " " + path);
        String text = body(r, method + " " + (path.isEmpty() ? "/" : path));
        if (r.code() == 401 && attempt == 0) {
          token = null; // tokens are not refreshable: log in again, once
          continue;
        }
        return reply(method, path, r.code(), text);
      } catch (IOException e) {
        throw io(e);
      }
    }
  }

  /**
   * The elements of the collection {@code key} in an answer: none when the key is absent (engines
   * leave an empty collection out), TRANSIENT when it holds anything but a list (garbage, which
   * must never read as "no such VM").
   */
  static Iterable<JsonNode> items(JsonNode answer, String key) throws BackendException {
    JsonNode list = answer.path(key);
    if (list.isMissingNode() || list.isArray()) {
      return list;
    }
    throw new BackendException(
        Kind.TRANSIENT,
        "RHEV-M's answer holds '" + key + "' as " + list.getNodeType() + ", not a list");
  }

  private JsonNode reply(String method, String path, int code, String text)
      throws BackendException {
    if (code == 401) {
      throw new BackendException(
          Kind.PERMISSION, "RHEV-M refused user " + user + " even after a fresh login (HTTP 401)");
    }
    JsonNode json;
    try {
      json = text.isBlank() ? JSON.createObjectNode() : JSON.readTree(text);
    } catch (IOException e) {
      // Garbage (an HTML error page from a proxy, a truncated body): we cannot tell anything.
      throw new BackendException(
          Kind.TRANSIENT,
          "RHEV-M answered "
              + method
              + " "
              + path
              + " with HTTP "
              + code
              + " and a body that is not JSON");
    }
    if (code >= 200 && code < 300) {
      if (method.equals("GET") && (text.isBlank() || !json.isObject())) {
        // An empty body, [], null: read as an engine's object they were "no VMs" (engines leave an
        // empty collection's key out), so a VM running here was reported OFFLINE.
        throw new BackendException(
            Kind.TRANSIENT,
            "RHEV-M answered GET "
                + path
                + " with HTTP "
                + code
                + " and "
                + (text.isBlank() ? "an empty body" : "JSON that is not an object"));
      }
      return json;
    }
    String fault =
        json.path("reason").asText("HTTP " + code)
            + (json.hasNonNull("detail") ? ": " + json.path("detail").asText() : "");
    Kind kind =
        code == 404
            ? Kind.NOT_FOUND
            : code >= 500 ? Kind.TRANSIENT : code == 403 ? Kind.PERMISSION : Kind.FAILED;
    throw new BackendException(kind, "RHEV-M: " + fault + " (HTTP " + code + ")");
  }

  private String token(Deadline d) throws BackendException {
    String t = token;
    if (t != null) {
      return t;
    }
    synchronized (this) {
      if (token != null) {
        return token;
      }
      long pause = loginPauseNanos < 0 ? Duration.ofSeconds(60).toNanos() : loginPauseNanos;
      if (refused != null && System.nanoTime() - refusedAt < pause) {
        throw new BackendException(
            Kind.PERMISSION,
            refused.getMessage() + " (not asked again before the next monitor interval)");
      }
      HttpUrl url = base.newBuilder().addPathSegments("ovirt-engine/sso/oauth/token").build();
      RequestBody form =
          new FormBody.Builder()
              .add("grant_type", "password")
              .add("scope", "ovirt-app-api")
              .add("username", user)
              .add("password", password)
              .build();
      Request req =
          new Request.Builder().url(url).header("Accept", "application/json").post(form).build();
      try (Response r = execute(req, d)) {
        refuseRedirect(r, "the login");
        String text = body(r, "the login");
        if (r.code() == 400 || r.code() == 401) {
          // Bad credentials give 400 at the token endpoint. The reason names the user, never the
          // password.
          String why = "";
          try {
            why = JSON.readTree(text).path("error_description").asText("");
          } catch (IOException e) {
            // no reason given
          }
          refused =
              new BackendException(
                  Kind.PERMISSION,
                  "RHEV-M refused the credentials of user "
                      + user
                      + (why.isEmpty() ? "" : ": " + why.replace(password, "****")));
          refusedAt = System.nanoTime();
          throw refused;
        }
        if (r.code() != 200) {
          throw new BackendException(Kind.TRANSIENT, "RHEV-M's login answered HTTP " + r.code());
        }
        String access = JSON.readTree(text).path("access_token").asText("");
        if (access.isEmpty()) {
          throw new BackendException(Kind.TRANSIENT, "RHEV-M's login gave no access token");
        }
        token = access;
        return access;
      } catch (IOException e) {
        throw io(e);
      }
    }
  }

  /** A 3xx is never followed: it is an error that says where RHEV-M's address sent us. */
  private void refuseRedirect(Response r, String what) throws BackendException {
    if (r.code() >= 300 && r.code() < 400) {
      String location = r.header("Location", "(no Location)");
      throw new BackendException(
          Kind.MISCONFIGURED,
          "RHEV-M at "
              + base
              + " answered "
              + what
              + " with a redirect (HTTP "
              + r.code()
              + ") to "
              + location
              + "; havirt follows no redirects: set RHEVMInfo.URL to RHEV-M's own address, and"
              + " encrypt the password for it");
    }
  }

  /** The body, read only up to the cap: past it, an error and the rest is not read. */
  private String body(Response r, String what) throws IOException, BackendException {
    okhttp3.ResponseBody b = r.body();
    if (b == null) {
      return "";
    }
    okio.BufferedSource src = b.source();
    if (b.contentLength() > maxBody || src.request(maxBody + 1)) {
      throw new BackendException(
          Kind.TRANSIENT,
          "RHEV-M's answer to "
              + what
              + " is larger than "
              + maxBody
              + " bytes; havirt reads no more (node option --rhev-max-response-bytes)");
    }
    return src.readUtf8();
  }

  private Response execute(Request req, Deadline d) throws IOException, BackendException {
    if (d.isExpired()) {
      throw new BackendException(Kind.TIMED_OUT, "no time left to call RHEV-M");
    }
    Call c = http.newCall(req);
    c.timeout().timeout(Math.max(1, d.remaining().toNanos()), TimeUnit.NANOSECONDS);
    return c.execute();
  }

  private BackendException io(IOException e) {
    if (e instanceof SSLException) {
      return new BackendException(
          Kind.MISCONFIGURED,
          "the TLS certificate of RHEV-M at "
              + base.host()
              + " is not trusted ("
              + e.getMessage()
              + "); give its CA with the CAFile key of RHEVMInfo or the node option --rhev-ca-file",
          e);
    }
    if (e instanceof InterruptedIOException) {
      return new BackendException(
          Kind.TIMED_OUT, "RHEV-M at " + base.host() + " did not answer before the deadline", e);
    }
    return new BackendException(
        Kind.TRANSIENT, "RHEV-M at " + base.host() + " is unreachable: " + e.getMessage(), e);
  }

  /** Closes idle connections. */
  public void close() {
    http.connectionPool().evictAll();
    http.dispatcher().executorService().shutdown();
  }
}
