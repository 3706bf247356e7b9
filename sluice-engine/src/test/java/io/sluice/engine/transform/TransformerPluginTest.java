package io.sluice.engine.transform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.DataType;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's transformer step, compiled here into a jar in a plugins folder, found by ServiceLoader
 * and run around a model, outermost first: preprocess in list order, postprocess in reverse.
 */
class TransformerPluginTest {
  /** A step that multiplies input x by {@code factor} and adds {@code offset} to output y. */
  private static final String SOURCE =
      """
      package example;

      import io.sluice.api.*;
      import io.sluice.spi.transform.*;
      import java.nio.*;
      import java.util.List;

      public final class Affine implements TransformerFactory {
        public String name() { return "affine"; }

        public Transformer create(StepSource source, ModelMetadata wrapped) {
          float factor = Float.parseFloat(source.setting("factor", "1"));
          float offset = Float.parseFloat(source.setting("offset", "0"));
          return new Transformer() {
            public ModelMetadata metadata() { return wrapped; }
            public List<Tensor> preprocess(List<Tensor> inputs) { return List.of(map(inputs.get(0), "x", factor, 0)); }
            public List<Tensor> postprocess(List<Tensor> inputs, List<Tensor> outputs) {
              return List.of(map(outputs.get(0), "y", 1, offset));
            }
          };
        }

        static Tensor map(Tensor tensor, String name, float factor, float offset) {
          ByteBuffer in = tensor.data();
          ByteBuffer out = ByteBuffer.allocate(in.remaining()).order(ByteOrder.LITTLE_ENDIAN);
          while (in.hasRemaining()) {
            out.putFloat(in.getFloat() * factor + offset);
          }
          return Tensor.of(name, DataType.FP32, tensor.shape(), out.flip());
        }
      }
      """;

  private static Path pluginJar(Path dir) throws Exception {
    Path sources = Files.createDirectories(dir.resolve("src/example"));
    Files.writeString(sources.resolve("Affine.java"), SOURCE);
    Path classes = Files.createDirectories(dir.resolve("classes"));
    int compiled =
        ToolProvider.getSystemJavaCompiler()
            .run(
                null,
                null,
                null,
                "-d",
                classes.toString(),
                "-cp",
                System.getProperty("java.class.path"),
                sources.resolve("Affine.java").toString());
    assertThat(compiled).isZero();
    Path plugins = Files.createDirectories(dir.resolve("plugins"));
    try (JarOutputStream jar =
        new JarOutputStream(Files.newOutputStream(plugins.resolve("affine.jar")))) {
      try (var compiledClasses = Files.list(classes.resolve("example"))) {
        for (Path file : compiledClasses.toList()) {
          jar.putNextEntry(new JarEntry("example/" + file.getFileName()));
          jar.write(Files.readAllBytes(file));
        }
      }
      jar.putNextEntry(
          new JarEntry("META-INF/services/io.sluice.spi.transform.TransformerFactory"));
      jar.write("example.Affine\n".getBytes(StandardCharsets.UTF_8));
    }
    return plugins;
  }

  /** y = x + 1, over FP32 [N]. */
  private static final class PlusOne implements LoadedModel {
    final AtomicBoolean closed = new AtomicBoolean();

    @Override
    public ModelMetadata metadata() {
      return new ModelMetadata(
          "m",
          List.of("1"),
          "test",
          List.of(new TensorMetadata("x", DataType.FP32, new long[] {-1})),
          List.of(new TensorMetadata("y", DataType.FP32, new long[] {-1})));
    }

    @Override
    public List<Tensor> infer(List<Tensor> inputs, List<String> outputNames) {
      Tensor plus = Tensor.of("y", DataType.FP32, inputs.get(0).shape(), inputs.get(0).data());
      ByteBuffer data = plus.data();
      ByteBuffer out = ByteBuffer.allocate(data.remaining()).order(ByteOrder.LITTLE_ENDIAN);
      while (data.hasRemaining()) {
        out.putFloat(data.getFloat() + 1);
      }
      return List.of(Tensor.of("y", DataType.FP32, plus.shape(), out.flip()));
    }

    @Override
    public void close() {
      closed.set(true);
    }
  }

  @Test
  void aPluginStepFromTheFolderRunsAroundTheModelOutermostFirst(@TempDir Path dir)
      throws Exception {
    Path plugins = pluginJar(dir);
    TransformerSpec spec =
        new TransformerSpec(
            List.of(
                new TransformerSpec.Step("affine", Map.of("factor", "10", "offset", "0.5")),
                new TransformerSpec.Step("affine", Map.of("factor", "2", "offset", "100"))),
            plugins);
    PlusOne model = new PlusOne();
    LoadedModel transformed = TransformedModel.wrap(model, spec, dir);
    Tensor x =
        Tensor.of(
            "x",
            DataType.FP32,
            new long[] {2},
            ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putFloat(3).flip());
    ByteBuffer y = transformed.infer(List.of(x), List.of("y")).getFirst().data();
    // preprocess: x * 10 * 2; model: + 1; postprocess inner (+100) then outer (+0.5)
    assertThat(y.getFloat()).isEqualTo(1 * 20 + 1 + 100 + 0.5f);
    assertThat(y.getFloat()).isEqualTo(3 * 20 + 1 + 100 + 0.5f);
    transformed.close();
    assertThat(model.closed).isTrue();
  }

  @Test
  void anUnknownStepFailsTheLoadAndClosesTheModel(@TempDir Path dir) {
    PlusOne model = new PlusOne();
    assertThatThrownBy(
            () ->
                TransformedModel.wrap(
                    model,
                    new TransformerSpec(
                        List.of(new TransformerSpec.Step("nope", Map.of())), dir.resolve("none")),
                    dir))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageStartingWith("unknown transformer step 'nope'");
    assertThat(model.closed).isTrue();
  }
}
