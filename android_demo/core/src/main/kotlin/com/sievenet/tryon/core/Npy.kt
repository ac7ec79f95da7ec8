package com.sievenet.tryon.core

/**
 * Reads the label maps the samples ship as `parse.npy` (what `numpy.save` writes).
 *
 * Android's BitmapFactory expands palette PNGs to colours, so a parse PNG does
 * not give back its class ids on a phone; an .npy file is exact, self-describing
 * (shape and dtype in its header) and written by one line of NumPy. Supported:
 * format versions 1-3, C order, 2-D (H, W) or (H, W, 1), dtypes uint8, int8,
 * uint16, int16, int32 and int64 (little-endian).
 */
object Npy {
    /** "\x93NUMPY" (bytes, not chars: Char-to-number conversions differ across Kotlin versions). */
    private val MAGIC = byteArrayOf(0x93.toByte(), 0x4E, 0x55, 0x4D, 0x50, 0x59)

    fun readLabelMap(bytes: ByteArray, source: String = "parse.npy"): LabelMap {
        require(bytes.size >= 10 && (0 until 6).all { bytes[it] == MAGIC[it] }) { "$source: not a .npy file (bad magic)" }
        val major = bytes[6].toInt() and 0xFF
        val headerLength: Int
        val headerStart: Int
        when (major) {
            1 -> {
                headerLength = u16(bytes, 8)
                headerStart = 10
            }
            2, 3 -> {
                require(bytes.size >= 12) { "$source: truncated header" }
                headerLength = u32(bytes, 8)
                headerStart = 12
            }
            else -> throw IllegalArgumentException("$source: unsupported .npy format version $major")
        }
        val dataStart = headerStart + headerLength
        require(headerLength >= 0 && dataStart <= bytes.size) { "$source: truncated header" }
        val header = String(bytes, headerStart, headerLength, Charsets.ISO_8859_1)

        val descr = Regex("'descr'\\s*:\\s*'([^']*)'").find(header)?.groupValues?.get(1)
            ?: throw IllegalArgumentException("$source: no 'descr' in header $header")
        val fortran = Regex("'fortran_order'\\s*:\\s*(True|False)").find(header)?.groupValues?.get(1)
            ?: throw IllegalArgumentException("$source: no 'fortran_order' in header $header")
        require(fortran == "False") { "$source: Fortran-ordered arrays are not supported (save with np.ascontiguousarray)" }
        val shapeText = Regex("'shape'\\s*:\\s*\\(([^)]*)\\)").find(header)?.groupValues?.get(1)
            ?: throw IllegalArgumentException("$source: no 'shape' in header $header")
        val shape = shapeText.split(",").map { it.trim() }.filter { it.isNotEmpty() }.map { it.toInt() }
        require(shape.size == 2 || (shape.size == 3 && shape[2] == 1)) {
            "$source: expected a (height, width) label map, got shape $shape"
        }
        val height = shape[0]
        val width = shape[1]
        val count = height * width

        val itemSize: Int
        val signed: Boolean
        when (descr) {
            "|u1", "<u1", "u1" -> { itemSize = 1; signed = false }
            "|i1", "<i1", "i1" -> { itemSize = 1; signed = true }
            "<u2" -> { itemSize = 2; signed = false }
            "<i2" -> { itemSize = 2; signed = true }
            "<i4" -> { itemSize = 4; signed = true }
            "<i8" -> { itemSize = 8; signed = true }
            else -> throw IllegalArgumentException(
                "$source: dtype '$descr' is not supported; save the label map as uint8 (np.uint8)"
            )
        }
        require(bytes.size - dataStart == count * itemSize) {
            "$source: shape $shape of '$descr' needs ${count * itemSize} data bytes, the file has ${bytes.size - dataStart}"
        }
        val ids = IntArray(count)
        for (i in 0 until count) {
            val at = dataStart + i * itemSize
            var value = 0L
            for (b in itemSize - 1 downTo 0) value = (value shl 8) or (bytes[at + b].toLong() and 0xFF)
            if (signed) {
                val bits = itemSize * 8
                if (bits < 64 && value >= (1L shl (bits - 1))) value -= (1L shl bits)
            }
            require(value >= Int.MIN_VALUE && value <= Int.MAX_VALUE) { "$source: value $value does not fit in an Int" }
            ids[i] = value.toInt()
        }
        return LabelMap(width, height, ids)
    }

    private fun u16(b: ByteArray, at: Int): Int = (b[at].toInt() and 0xFF) or ((b[at + 1].toInt() and 0xFF) shl 8)

    private fun u32(b: ByteArray, at: Int): Int =
        u16(b, at) or (u16(b, at + 2) shl 16)
}
