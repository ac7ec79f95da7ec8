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

/** The screen's two paths: bundled samples (given parse and pose), or the user's own photo. */
enum class Mode { SAMPLES, YOUR_PHOTO }

/** A photo the user picked or took, as shown. */
@Immutable
data class PickedPhotoUi(val preview: ImageBitmap, val description: String)

/** A keypoint to draw, as fractions of the shown image's width and height (core PhotoOverlay.viewX/viewY). */
@Immutable
data class KeypointDot(val name: String, val x: Float, val y: Float)

/** A limb to draw between two keypoints, in the same fractions. */
@Immutable
data class LimbLine(val x1: Float, val y1: Float, val x2: Float, val y2: Float)

/** A class of the predicted parse and its colour (0xAARRGGBB). */
@Immutable
data class LegendItem(val name: String, val argb: Int)

/** The last run of the photo graph. */
@Immutable
data class PhotoResultUi(
    /** Null when no person was found: the try-on of a photo without one is not shown. */
    val tryon: NamedImage?,
    /** The person as the model saw it (fitted into image_size), the predicted parse blended in. */
    val found: NamedImage,
    val points: List<KeypointDot>,
    val limbs: List<LimbLine>,
    val legend: List<LegendItem>,
    /** e.g. "12 of 18 keypoints found (8 needed) · cloth mask covers 31 % of the garment photo". */
    val summary: String,
    /** "No person found in the photo (...)", from PhotoPath.noPersonMessage; null when one was found. */
    val noPersonMessage: String?,
    val intermediates: List<NamedImage>,
    val latency: TryOnHelper.Latency,
    /** e.g. "int8 photo graph on CPU (XNNPACK, 4 threads)". */
    val ranOn: String
)

/** The "Your photo" path: a person photo from the gallery or the camera, a garment, the photo graph. */
@Immutable
data class PhotoPathUi(
    /** Why the photo path cannot run with this export (no photo graph, ...); null when it can. */
    val unavailableMessage: String? = null,
    /** The photo graph's file, and a note when it is not the chosen precision. */
    val modelDescription: String? = null,
    val person: PickedPhotoUi? = null,
    /** The user's own garment photo, when one was picked. */
    val ownGarment: PickedPhotoUi? = null,
    /** True: the own garment photo; false: the bundled garment [garmentSampleId]. */
    val useOwnGarment: Boolean = false,
    val garmentSampleId: String? = null,
    val isDecoding: Boolean = false,
    val isRunning: Boolean = false,
    val result: PhotoResultUi? = null
) {
    val hasGarment: Boolean get() = if (useOwnGarment) ownGarment != null else garmentSampleId != null
}

/** Everything the screen shows; replaced, never mutated. */
@Immutable
data class UiState(
    val mode: Mode = Mode.SAMPLES,
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
    val photo: PhotoPathUi = PhotoPathUi(),
    val errorMessage: String? = null
) {
    val canTryOn: Boolean
        get() = modelDescription != null && !isLoadingModel && !isRunning &&
            selectedPersonId != null && selectedGarmentId != null

    val canTryOnPhoto: Boolean
        get() = modelDescription != null && !isLoadingModel && photo.unavailableMessage == null &&
            photo.modelDescription != null && !photo.isRunning && !photo.isDecoding &&
            photo.person != null && photo.hasGarment
}
