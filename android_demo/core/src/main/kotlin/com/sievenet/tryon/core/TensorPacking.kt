package com.sievenet.tryon.core

/** The values of one tensor, flat in row-major (NHWC) order, with its shape. */
sealed class TensorData {
    abstract val shape: List<Int>

    class Floats(override val shape: List<Int>, val values: FloatArray) : TensorData()

    class Ints(override val shape: List<Int>, val values: IntArray) : TensorData()

    companion object {
        /** Zeros of the spec's shape and dtype (e.g. to receive an output). */
        fun zeros(spec: TensorSpec): TensorData = when (spec.dtype) {
            "float32" -> Floats(spec.shape, FloatArray(spec.elementCount))
            "int32" -> Ints(spec.shape, IntArray(spec.elementCount))
            else -> throw IllegalArgumentException("'${spec.name}': dtype ${spec.dtype} is not supported (float32, int32)")
        }
    }
}

/**
 * Model-independent conversions between app data and tensors, driven by the
 * contract's [TensorSpec]s: sizes, normalization and label ranges all come from
 * the contract. Every size error is an [IllegalArgumentException] naming the tensor.
 */
object TensorPacking {
    /**
     * An RGB photo -> a (1, H, W, 3) float tensor, `pixel * scale + offset` per
     * channel in RGB order. A photo of another size is fitted like the training
     * data ([Fit]: aspect kept, bilinear by default, centred, white padding).
     * Alpha is ignored.
     */
    fun packImage(
        spec: TensorSpec,
        normalization: Normalization,
        image: ArgbImage,
        method: ResizeMethod = ResizeMethod.BILINEAR
    ): FloatArray {
        val (height, width) = imageSize(spec, channels = 3)
        val rgb = FloatArray(image.width * image.height * 3)
        for (i in image.pixels.indices) {
            val p = image.pixels[i]
            rgb[3 * i] = ArgbImage.red(p).toFloat()
            rgb[3 * i + 1] = ArgbImage.green(p).toFloat()
            rgb[3 * i + 2] = ArgbImage.blue(p).toFloat()
        }
        // Letterboxed like the training data: padding is white (255), as in io.fit_image.
        val resized = fit(rgb, Fit.of(image.height, image.width, height, width), 3, 255f, method)
        val scale = normalization.scale.toFloat()
        val offset = normalization.offset.toFloat()
        for (i in resized.indices) resized[i] = resized[i] * scale + offset
        return resized
    }

    /**
     * [packImage] for raw `Bitmap.getPixels` output: [pixels] holds [width] x [height]
     * ARGB ints, row by row.
     */
    fun packImage(spec: TensorSpec, normalization: Normalization, pixels: IntArray, width: Int, height: Int): FloatArray =
        packImage(spec, normalization, argbImage(spec, pixels, width, height))

    /**
     * A mask image (white = inside) -> a (1, H, W, 1) float tensor in [0, 1].
     *
     * The grey value is the ITU-R 601 luma PIL's "L" mode uses (the training
     * reader, io.read_mask). With [threshold] (default 0.5) the mask is binarised
     * after fitting (padding 0), as training masks are {0, 1}
     * (sievenet_tf/keys.py); pass null to keep soft values.
     */
    fun packMask(spec: TensorSpec, image: ArgbImage, threshold: Float? = 0.5f): FloatArray {
        val (height, width) = imageSize(spec, channels = 1)
        val grey = FloatArray(image.width * image.height)
        for (i in image.pixels.indices) {
            val p = image.pixels[i]
            grey[i] = (0.299f * ArgbImage.red(p) + 0.587f * ArgbImage.green(p) + 0.114f * ArgbImage.blue(p)) / 255f
        }
        val resized = fit(grey, Fit.of(image.height, image.width, height, width), 1, 0f, ResizeMethod.BILINEAR)
        if (threshold != null) {
            for (i in resized.indices) resized[i] = if (resized[i] >= threshold) 1f else 0f
        }
        return resized
    }

    /** [packMask] for raw `Bitmap.getPixels` output. */
    fun packMask(spec: TensorSpec, pixels: IntArray, width: Int, height: Int, threshold: Float? = 0.5f): FloatArray =
        packMask(spec, argbImage(spec, pixels, width, height), threshold)

    /**
     * A label map -> a (1, H, W) int tensor, fitted with nearest neighbour (ids
     * must not be blended) and padded with 0. Ids outside the spec's range are rejected.
     */
    fun packLabels(spec: TensorSpec, labels: LabelMap): IntArray {
        require(spec.shape.size == 3 && spec.shape[0] == 1) {
            "input '${spec.name}': expected a (1, H, W) label tensor, the contract says ${spec.shape}"
        }
        val height = spec.shape[1]
        val width = spec.shape[2]
        // Padding is class 0 (background), as in io.fit_parse.
        val ids = Resize.fitNearest(labels.ids, Fit.of(labels.height, labels.width, height, width), 0)
        val range = spec.range
        if (range != null) {
            for (i in ids.indices) {
                if (ids[i] < range[0] || ids[i] > range[1]) {
                    throw IllegalArgumentException(
                        "input '${spec.name}': label ${ids[i]} at (x=${i % width}, y=${i / width}) is outside " +
                            "[${range[0].toInt()}, ${range[1].toInt()}] of label set '${spec.labelSet}'"
                    )
                }
            }
        }
        return ids
    }

    /** [packLabels] for a raw id array of [width] x [height], row by row. */
    fun packLabels(spec: TensorSpec, ids: IntArray, width: Int, height: Int): IntArray {
        require(width > 0 && height > 0 && ids.size == width * height) {
            "input '${spec.name}': ${ids.size} label ids for a ${width}x$height map (${width.toLong() * height} expected)"
        }
        return packLabels(spec, LabelMap(width, height, ids))
    }

    /**
     * Keypoints -> a (1, K, 3) float tensor of (x, y, confidence) in pixels of
     * the model's image ([targetWidth] x [targetHeight]).
     *
     * When both the keypoints and the model name their points ([modelNames],
     * the contract's keypoint_names), they are matched by name, so BODY_25 poses
     * feed a COCO-18 model; otherwise the counts must agree and the order is kept.
     * Coordinates move with the photo's [Fit] (aspect-preserving scale, centring,
     * half-pixel exact), as `sievenet_tf.data.io.scale_keypoints` does in
     * training. A keypoint with confidence <= 0 is missing and is written as (0, 0, 0).
     */
    fun packKeypoints(
        spec: TensorSpec,
        keypoints: KeypointSet,
        modelNames: List<String>,
        targetHeight: Int,
        targetWidth: Int
    ): FloatArray {
        require(spec.shape.size == 3 && spec.shape[0] == 1 && spec.shape[2] == 3) {
            "input '${spec.name}': expected a (1, K, 3) keypoint tensor, the contract says ${spec.shape}"
        }
        val count = spec.shape[1]
        val sourceIndex = IntArray(count)
        val names = keypoints.names
        if (names != null && modelNames.isNotEmpty()) {
            require(modelNames.size == count) {
                "input '${spec.name}': ${modelNames.size} keypoint_names for $count keypoints"
            }
            for (k in 0 until count) {
                sourceIndex[k] = names.indexOf(modelNames[k])
                require(sourceIndex[k] >= 0) {
                    "input '${spec.name}': the model needs keypoint '${modelNames[k]}', which the pose does not have ($names)"
                }
            }
        } else {
            require(keypoints.count == count) {
                "input '${spec.name}': the pose has ${keypoints.count} keypoints, the model expects $count"
            }
            for (k in 0 until count) sourceIndex[k] = k
        }
        val fit = Fit.of(keypoints.imageHeight, keypoints.imageWidth, targetHeight, targetWidth)
        val out = FloatArray(count * 3)
        for (k in 0 until count) {
            val s = sourceIndex[k] * 3
            val confidence = keypoints.points[s + 2]
            if (confidence > 0f) {
                out[3 * k] = fit.mapX(keypoints.points[s])
                out[3 * k + 1] = fit.mapY(keypoints.points[s + 1])
                out[3 * k + 2] = confidence
            }
        }
        return out
    }

    /** A (1, H, W, 3) image tensor -> ARGB pixels, `clamp(round((v - offset) / scale), 0, 255)`. */
    fun unpackImage(spec: TensorSpec, normalization: Normalization, values: FloatArray): ArgbImage {
        val (height, width) = imageSize(spec, channels = 3)
        requireCount(spec, values.size)
        val pixels = IntArray(height * width)
        for (i in pixels.indices) {
            pixels[i] = ArgbImage.argb(
                normalization.toPixel(values[3 * i]),
                normalization.toPixel(values[3 * i + 1]),
                normalization.toPixel(values[3 * i + 2])
            )
        }
        return ArgbImage(width, height, pixels)
    }

    /** A (1, H, W, 1) mask tensor -> grey ARGB pixels; the spec's range (default [0, 1]) maps to 0..255. */
    fun unpackMask(spec: TensorSpec, values: FloatArray): ArgbImage {
        val (height, width) = imageSize(spec, channels = 1)
        requireCount(spec, values.size)
        val low = spec.range?.get(0) ?: 0.0
        val high = spec.range?.get(1) ?: 1.0
        val pixels = IntArray(height * width)
        for (i in pixels.indices) {
            val grey = Math.floor((values[i] - low) / (high - low) * 255.0 + 0.5)
            val g = if (grey < 0.0) 0 else if (grey > 255.0) 255 else grey.toInt()
            pixels[i] = ArgbImage.argb(g, g, g)
        }
        return ArgbImage(width, height, pixels)
    }

    /** A (1, H, W) label tensor -> ARGB pixels coloured with the label set's colours. */
    fun colorLabels(spec: TensorSpec, labelSet: LabelSet, ids: IntArray): ArgbImage {
        require(spec.shape.size == 3 && spec.shape[0] == 1) {
            "'${spec.name}': expected a (1, H, W) label tensor, the contract says ${spec.shape}"
        }
        requireCount(spec, ids.size)
        val colors = labelSet.colors
            ?: throw IllegalArgumentException("'${spec.name}': label set '${labelSet.key}' has no colors")
        val height = spec.shape[1]
        val width = spec.shape[2]
        val pixels = IntArray(ids.size)
        for (i in ids.indices) {
            val id = ids[i]
            if (id < 0 || id >= colors.size) {
                throw IllegalArgumentException(
                    "'${spec.name}': class id $id at (x=${i % width}, y=${i / width}) has no colour " +
                        "(label set '${labelSet.key}' has ${colors.size})"
                )
            }
            pixels[i] = colors[id]
        }
        return ArgbImage(width, height, pixels)
    }

    private fun argbImage(spec: TensorSpec, pixels: IntArray, width: Int, height: Int): ArgbImage {
        require(width > 0 && height > 0 && pixels.size == width * height) {
            "input '${spec.name}': ${pixels.size} pixels for a ${width}x$height image (${width.toLong() * height} expected)"
        }
        return ArgbImage(width, height, pixels)
    }

    /** (height, width) of a (1, H, W, channels) spec. */
    private fun imageSize(spec: TensorSpec, channels: Int): Pair<Int, Int> {
        require(spec.shape.size == 4 && spec.shape[0] == 1 && spec.shape[3] == channels) {
            "'${spec.name}': expected shape (1, H, W, $channels), the contract says ${spec.shape}"
        }
        return Pair(spec.shape[1], spec.shape[2])
    }

    private fun requireCount(spec: TensorSpec, count: Int) {
        require(count == spec.elementCount) {
            "'${spec.name}': got $count values for shape ${spec.shape} (${spec.elementCount} values)"
        }
    }

    private fun fit(values: FloatArray, fit: Fit, channels: Int, fill: Float, method: ResizeMethod): FloatArray =
        when (method) {
            ResizeMethod.BILINEAR -> Resize.fitBilinear(values, fit, channels, fill)
            ResizeMethod.NEAREST -> {
                // Nearest on floats: fit the pixel indices (-1 = padding), then gather.
                val index = IntArray(fit.sourceHeight * fit.sourceWidth) { it }
                val picked = Resize.fitNearest(index, fit, -1)
                val out = FloatArray(picked.size * channels)
                for (i in picked.indices) {
                    for (k in 0 until channels) {
                        out[i * channels + k] = if (picked[i] < 0) fill else values[picked[i] * channels + k]
                    }
                }
                out
            }
        }
}
