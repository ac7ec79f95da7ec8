package com.sievenet.tryon

import com.sievenet.tryon.core.TensorData
import com.sievenet.tryon.core.TensorSpec
import java.nio.ByteBuffer
import java.nio.ByteOrder

/**
 * The core's [TensorData] <-> the direct, native-order ByteBuffers the LiteRT
 * interpreter reads and writes (4 bytes per float32 / int32 element).
 */
object TensorBuffers {
    fun toBuffer(data: TensorData): ByteBuffer = when (data) {
        is TensorData.Floats -> allocate(data.values.size).also { it.asFloatBuffer().put(data.values) }
        is TensorData.Ints -> allocate(data.values.size).also { it.asIntBuffer().put(data.values) }
    }

    /** An empty buffer for an output of [spec]. */
    fun forOutput(spec: TensorSpec): ByteBuffer = allocate(spec.elementCount)

    fun fromBuffer(spec: TensorSpec, buffer: ByteBuffer): TensorData {
        buffer.rewind()
        return when (val data = TensorData.zeros(spec)) {
            is TensorData.Floats -> data.also { buffer.asFloatBuffer().get(it.values) }
            is TensorData.Ints -> data.also { buffer.asIntBuffer().get(it.values) }
        }
    }

    private fun allocate(elements: Int): ByteBuffer =
        ByteBuffer.allocateDirect(elements * 4).order(ByteOrder.nativeOrder())
}
