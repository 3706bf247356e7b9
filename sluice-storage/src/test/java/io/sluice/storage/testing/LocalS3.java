package io.sluice.storage.testing;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * A real S3-compatible server on loopback: s3proxy over jclouds' filesystem backend, checking AWS
 * signatures (v2 and v4) against one access key.
 */
public final class LocalS3 implements AutoCloseable {
  public static final String ACCESS_KEY = "sluice-test-access";
  public static final String SECRET_KEY = "sluice-test-secret-key";

  private final BlobStoreContext context;
  private final S3Proxy proxy;

  public LocalS3(Path directory) throws Exception {
    Properties properties = new Properties();
    properties.setProperty("jclouds.filesystem.basedir", directory.toString());
    context =
        ContextBuilder.newBuilder("filesystem")
            .credentials("identity", "credential")
            .overrides(properties)
            .build(BlobStoreContext.class);
    proxy =
        S3Proxy.builder()
            .blobStore(context.getBlobStore())
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            .build();
    proxy.start();
    while (!proxy.getState().equals("STARTED")) {
      Thread.sleep(10);
    }
  }

  public void put(String bucket, String key, byte[] content) {
    BlobStore store = context.getBlobStore();
    store.createContainerInLocation(null, bucket);
    store.putBlob(
        bucket, store.blobBuilder(key).payload(content).contentLength(content.length).build());
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + proxy.getPort());
  }

  /** The environment a client of this server needs (endpoint, path-style, keys, region). */
  public Map<String, String> environment() {
    return Map.of(
        "AWS_ENDPOINT_URL",
        endpoint().toString(),
        "AWS_ACCESS_KEY_ID",
        ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY",
        SECRET_KEY,
        "AWS_REGION",
        "us-east-1");
  }

  @Override
  public void close() throws Exception {
    proxy.stop();
    context.close();
  }
}
