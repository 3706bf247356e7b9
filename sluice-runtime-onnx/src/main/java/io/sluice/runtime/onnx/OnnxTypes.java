package io.sluice.runtime.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.TensorInfo.OnnxTensorType;
import io.sluice.api.DataType;
import java.util.Optional;

/**
 * Maps ONNX element types to protocol datatypes and to the types ONNX Runtime's Java API can build.
 */
final class OnnxTypes {
  private OnnxTypes() {}

  /**
   * The protocol datatype of an ONNX element type; empty for types the protocol has no name for.
   */
  static Optional<DataType> toDataType(OnnxTensorType type) {
    return Optional.ofNullable(
        switch (type) {
          case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL -> DataType.BOOL;
          case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8 -> DataType.UINT8;
          case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16 -> DataType.UINT16;
          case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32 -> DataType.UINT32;
          case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64 -> DataType.UINT64;
          case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8 -> DataType.INT8;
          case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16 -> DataType.INT16;
          case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32 -> DataType.INT32;
          case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64 -> DataType.INT64;
          case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16 -> DataType.FP16;
          case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT -> DataType.FP32;
          case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE -> DataType.FP64;
          case ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16 -> DataType.BF16;
          case ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING -> DataType.BYTES;
          default -> null;
        });
  }

  /**
   * The Java API type used to build an input tensor of this datatype from raw bytes; empty for the
   * unsigned 16/32/64-bit types, which ONNX Runtime's Java API cannot create.
   */
  static Optional<OnnxJavaType> toJavaType(DataType type) {
    return Optional.ofNullable(
        switch (type) {
          case BOOL -> OnnxJavaType.BOOL;
          case UINT8 -> OnnxJavaType.UINT8;
          case INT8 -> OnnxJavaType.INT8;
          case INT16 -> OnnxJavaType.INT16;
          case INT32 -> OnnxJavaType.INT32;
          case INT64 -> OnnxJavaType.INT64;
          case FP16 -> OnnxJavaType.FLOAT16;
          case FP32 -> OnnxJavaType.FLOAT;
          case FP64 -> OnnxJavaType.DOUBLE;
          case BF16 -> OnnxJavaType.BFLOAT16;
          case BYTES -> OnnxJavaType.STRING;
          case UINT16, UINT32, UINT64 -> null;
        });
  }
}
