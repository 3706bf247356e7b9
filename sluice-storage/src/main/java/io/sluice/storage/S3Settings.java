package io.sluice.storage;

import java.net.URI;
import java.util.Map;

/**
 * Where and how to reach S3, from the environment variables the AWS tools and KServe's storage
 * initializer read: {@code AWS_ENDPOINT_URL_S3} or {@code AWS_ENDPOINT_URL} (or KServe's {@code
 * S3_ENDPOINT} host:port with {@code S3_USE_HTTPS}), {@code AWS_REGION} / {@code
 * AWS_DEFAULT_REGION}, and {@code AWS_ACCESS_KEY_ID} / {@code AWS_SECRET_ACCESS_KEY} / {@code
 * AWS_SESSION_TOKEN}. Without keys the SDK's standard credential chain decides (profiles, web
 * identity, container and instance roles). An endpoint override (MinIO, Ceph, s3proxy) uses
 * path-style addressing unless {@code S3_USER_VIRTUAL_BUCKET} is true, as in KServe.
 *
 * @param endpoint the override, or null for AWS itself
 * @param accessKey null to use the standard credential chain
 */
record S3Settings(
    URI endpoint,
    boolean pathStyle,
    String region,
    String accessKey,
    String secretKey,
    String sessionToken) {

  static S3Settings from(Map<String, String> env) {
    String endpoint = firstOf(env, "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");
    if (endpoint == null && env.get("S3_ENDPOINT") != null) {
      String host = env.get("S3_ENDPOINT");
      boolean https = !"0".equals(env.getOrDefault("S3_USE_HTTPS", "1"));
      endpoint = host.contains("://") ? host : (https ? "https://" : "http://") + host;
    }
    boolean virtualHosts =
        "true".equalsIgnoreCase(env.get("S3_USER_VIRTUAL_BUCKET"))
            || "1".equals(env.get("S3_USER_VIRTUAL_BUCKET"));
    String region = firstOf(env, "AWS_REGION", "AWS_DEFAULT_REGION");
    return new S3Settings(
        endpoint == null ? null : URI.create(endpoint),
        endpoint != null && !virtualHosts,
        region == null ? "us-east-1" : region,
        env.get("AWS_ACCESS_KEY_ID"),
        env.get("AWS_SECRET_ACCESS_KEY"),
        env.get("AWS_SESSION_TOKEN"));
  }

  private static String firstOf(Map<String, String> env, String... names) {
    for (String name : names) {
      String value = env.get(name);
      if (value != null && !value.isBlank()) {
        return value;
      }
    }
    return null;
  }
}
