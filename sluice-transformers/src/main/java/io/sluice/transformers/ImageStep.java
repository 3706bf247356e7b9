package io.sluice.transformers;

import io.sluice.api.DataType;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.transform.StepSource;
import io.sluice.spi.transform.Transformer;
import io.sluice.spi.transform.TransformerFactory;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * Encoded images (JPEG, PNG, GIF, BMP) in a BYTES input → an {@code FP32} tensor in NCHW or NHWC,
 * resized to the model's input size (bilinear, aspect ratio not kept) and normalised as {@code
 * (pixel / scale - mean) / std} per channel, RGB order (or grey for one channel).
 *
 * <p>Settings: {@code input} (default {@code image}), {@code tensor} (the model input it fills;
 * default its first), {@code width}/{@code height} (default: the model input's), {@code layout}
 * ({@code NCHW} or {@code NHWC}; default: read from the model input's shape), {@code scale}
 * (default 255), {@code mean} and {@code std} (one number or one per channel; default 0 and 1).
 */
public final class ImageStep implements TransformerFactory {
  @Override
  public String name() {
    return "image";
  }

  @Override
  public Transformer create(StepSource source, ModelMetadata wrapped) throws ModelLoadException {
    String input = source.setting("input", "image");
    TensorMetadata target =
        wrapped.inputs().isEmpty()
            ? null
            : Tensors.described(
                wrapped.inputs(),
                source.setting("tensor", wrapped.inputs().getFirst().name()),
                "input");
    if (target == null || target.shape().length != 4 || target.datatype() != DataType.FP32) {
      throw new ModelLoadException(
          "the image step fills an FP32 input of rank 4 (NCHW or NHWC); the model's is "
              + (target == null
                  ? "missing"
                  : target.datatype() + " " + java.util.Arrays.toString(target.shape())));
    }
    long[] shape = target.shape();
    String layout =
        source
            .setting(
                "layout",
                shape[3] == 3 || shape[3] == 1 && shape[1] != 1 && shape[1] != 3 ? "NHWC" : "NCHW")
            .toUpperCase(java.util.Locale.ROOT);
    if (!layout.equals("NCHW") && !layout.equals("NHWC")) {
      throw new ModelLoadException("layout must be NCHW or NHWC, got '" + layout + "'");
    }
    boolean channelsFirst = layout.equals("NCHW");
    long channels = channelsFirst ? shape[1] : shape[3];
    if (channels != 1 && channels != 3) {
      throw new ModelLoadException(
          "the image step makes 1 or 3 channels; the model input has " + channels);
    }
    int height = source.intSetting("height", (int) (channelsFirst ? shape[2] : shape[1]), 1);
    int width = source.intSetting("width", (int) (channelsFirst ? shape[3] : shape[2]), 1);
    float scale = source.floats("scale", new float[] {255f})[0];
    float[] mean = perChannel(source.floats("mean", new float[] {0f}), (int) channels, "mean");
    float[] std = perChannel(source.floats("std", new float[] {1f}), (int) channels, "std");
    return new Images(
        new Geometry(width, height, (int) channels, channelsFirst, scale, mean, std),
        input,
        target.name(),
        wrapped);
  }

  private static float[] perChannel(float[] values, int channels, String key)
      throws ModelLoadException {
    if (values.length == channels) {
      return values;
    }
    if (values.length == 1) {
      float[] repeated = new float[channels];
      java.util.Arrays.fill(repeated, values[0]);
      return repeated;
    }
    throw new ModelLoadException(
        key + " needs 1 or " + channels + " numbers, got " + values.length);
  }

  record Geometry(
      int width,
      int height,
      int channels,
      boolean channelsFirst,
      float scale,
      float[] mean,
      float[] std) {}

  private static final class Images implements Transformer {
    private final Geometry geometry;
    private final String input;
    private final String target;
    private final ModelMetadata metadata;

    Images(Geometry geometry, String input, String target, ModelMetadata wrapped) {
      this.geometry = geometry;
      this.input = input;
      this.target = target;
      this.metadata = Tensors.bytesInputInstead(wrapped, List.of(target), input);
    }

    @Override
    public ModelMetadata metadata() {
      return metadata;
    }

    @Override
    public List<Tensor> preprocess(List<Tensor> inputs) {
      List<byte[]> images = Tensors.named(inputs, input).bytesElements();
      int plane = geometry.width() * geometry.height();
      int perImage = plane * geometry.channels();
      ByteBuffer data =
          ByteBuffer.allocate(Math.multiplyExact(Math.multiplyExact(images.size(), perImage), 4))
              .order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < images.size(); i++) {
        write(decode(images.get(i), i), data, i * perImage);
      }
      long[] shape =
          geometry.channelsFirst()
              ? new long[] {images.size(), geometry.channels(), geometry.height(), geometry.width()}
              : new long[] {
                images.size(), geometry.height(), geometry.width(), geometry.channels()
              };
      return Tensors.replace(
          inputs, List.of(input), List.of(Tensor.of(target, DataType.FP32, shape, data.rewind())));
    }

    private BufferedImage decode(byte[] bytes, int index) {
      BufferedImage image;
      try {
        image = ImageIO.read(new ByteArrayInputStream(bytes));
      } catch (IOException | RuntimeException e) {
        throw new InvalidInputException(
            "image " + index + " of '" + input + "' cannot be decoded: " + e.getMessage());
      }
      if (image == null) {
        throw new InvalidInputException(
            "image "
                + index
                + " of '"
                + input
                + "' is not an image this server reads"
                + " (JPEG, PNG, GIF, BMP)");
      }
      BufferedImage resized =
          new BufferedImage(geometry.width(), geometry.height(), BufferedImage.TYPE_INT_RGB);
      Graphics2D graphics = resized.createGraphics();
      try {
        graphics.setRenderingHint(
            RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        graphics.drawImage(image, 0, 0, geometry.width(), geometry.height(), null);
      } finally {
        graphics.dispose();
      }
      return resized;
    }

    private void write(BufferedImage image, ByteBuffer data, int offset) {
      int width = geometry.width();
      int plane = width * geometry.height();
      int[] pixels = image.getRGB(0, 0, width, geometry.height(), null, 0, width);
      for (int p = 0; p < plane; p++) {
        int rgb = pixels[p];
        for (int c = 0; c < geometry.channels(); c++) {
          float value = geometry.channels() == 1 ? grey(rgb) : (rgb >> (16 - 8 * c)) & 0xFF;
          float normalised = (value / geometry.scale() - geometry.mean()[c]) / geometry.std()[c];
          int index =
              geometry.channelsFirst()
                  ? offset + c * plane + p
                  : offset + p * geometry.channels() + c;
          data.putFloat(index * 4, normalised);
        }
      }
    }

    private static float grey(int rgb) {
      return 0.299f * ((rgb >> 16) & 0xFF) + 0.587f * ((rgb >> 8) & 0xFF) + 0.114f * (rgb & 0xFF);
    }

    @Override
    public List<Tensor> postprocess(List<Tensor> inputs, List<Tensor> outputs) {
      return outputs;
    }
  }
}
