package com.sievenet.tryon

import androidx.compose.runtime.Immutable
import androidx.compose.ui.graphics.ImageBitmap

/** A person or garment to pick from. */
@Immutable
data class SampleItem(val id: String, val title: String, val photo: ImageBitmap)

/** One output picture, titled with its name in the contract. */
@Immutable
data class NamedImage(val name: String, val image: ImageBitmap)

/** The last try-on: the result, the intermediates beside it, and the timings. */
@Immutable
data class TryOnUi(
    val tryon: NamedImage,
    val intermediates: List<NamedImage>,
    val latency: TryOnHelper.Latency,
    /** e.g. "fp32 on CPU (XNNPACK, 4 threads)". */
    val ranOn: String
)

/** Everything the screen shows; replaced, never mutated. */
@Immutable
data class UiState(
    val persons: List<SampleItem> = emptyList(),
    val garments: List<SampleItem> = emptyList(),
    val selectedPersonId: String? = null,
    val selectedGarmentId: String? = null,
    val settings: TryOnHelper.Settings = TryOnHelper.Settings(),
    /** Variants (fp32, fp16, ...) whose .tflite is in the assets. */
    val variants: List<String> = emptyList(),
    /** e.g. "tiny · 64 x 48 · fp32 · set up in 120 ms"; null while no model is loaded. */
    val modelDescription: String? = null,
    val isLoadingModel: Boolean = true,
    val isRunning: Boolean = false,
    val result: TryOnUi? = null,
    val errorMessage: String? = null
) {
    val canTryOn: Boolean
        get() = modelDescription != null && !isLoadingModel && !isRunning &&
            selectedPersonId != null && selectedGarmentId != null
}
