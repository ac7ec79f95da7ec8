package com.sievenet.tryon.ui

import android.content.ActivityNotFoundException
import android.net.Uri
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.PickVisualMediaRequest
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.Canvas
import androidx.compose.foundation.Image
import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.Spacer
import androidx.compose.foundation.layout.aspectRatio
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.layout.width
import androidx.compose.foundation.lazy.LazyRow
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.FilterChip
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.Stable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.geometry.Offset
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.FilterQuality
import androidx.compose.ui.graphics.StrokeCap
import androidx.compose.ui.layout.ContentScale
import androidx.compose.ui.unit.dp
import com.sievenet.tryon.LegendItem
import com.sievenet.tryon.PhotoResultUi
import com.sievenet.tryon.PickedPhotoUi
import com.sievenet.tryon.UiState

/** What the "Your photo" path can ask of the view model. */
@Stable
class PhotoActions(
    /** A person photo from the Photo Picker or the camera. */
    val onPersonPhoto: (Uri) -> Unit,
    /** A garment photo from the Photo Picker. */
    val onGarmentPhoto: (Uri) -> Unit,
    /** The file the camera app writes into; null when it cannot be created (the view model says why). */
    val newCameraUri: () -> Uri?,
    val onSelectGarment: (String) -> Unit,
    val onUseOwnGarment: () -> Unit,
    val onTryOn: () -> Unit,
    /** A message to show (e.g. "no camera app"). */
    val onMessage: (String) -> Unit
)

/**
 * The "Your photo" inputs: a person photo from the gallery (Photo Picker, images
 * only) or the camera (`TakePicture` into a FileProvider file), and a garment from
 * the gallery or the bundled samples. When the export has no photo graph, only
 * the message saying so.
 */
@Composable
fun YourPhotoInputs(uiState: UiState, actions: PhotoActions) {
    val photo = uiState.photo
    val unavailable = photo.unavailableMessage
    if (unavailable != null) {
        NoticeCard(unavailable)
        return
    }
    val imageOnly = remember { PickVisualMediaRequest(ActivityResultContracts.PickVisualMedia.ImageOnly) }
    val pickPerson = rememberLauncherForActivityResult(ActivityResultContracts.PickVisualMedia()) { uri ->
        if (uri != null) actions.onPersonPhoto(uri)
    }
    val pickGarment = rememberLauncherForActivityResult(ActivityResultContracts.PickVisualMedia()) { uri ->
        if (uri != null) actions.onGarmentPhoto(uri)
    }
    // Saved across recreation: the activity may be destroyed while the camera app runs.
    var cameraUri by rememberSaveable { mutableStateOf<Uri?>(null) }
    val takePicture = rememberLauncherForActivityResult(ActivityResultContracts.TakePicture()) { saved ->
        val uri = cameraUri
        if (saved && uri != null) actions.onPersonPhoto(uri)
    }

    SectionTitle("Person")
    Text(
        "One person facing the camera, head to hips in view, on a plain light background.",
        style = MaterialTheme.typography.bodySmall
    )
    Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        Button(onClick = { pickPerson.launch(imageOnly) }) { Text("Gallery") }
        OutlinedButton(onClick = {
            val uri = actions.newCameraUri()
            if (uri != null) {
                cameraUri = uri
                try {
                    takePicture.launch(uri)
                } catch (e: ActivityNotFoundException) {
                    actions.onMessage("No camera app is available to take the photo. Pick one from the gallery.")
                }
            }
        }) { Text("Camera") }
    }
    photo.person?.let { PickedPreview(it, "person photo") }

    SectionTitle("Garment")
    Text(
        "A product photo of a top on a plain light background, or a bundled garment.",
        style = MaterialTheme.typography.bodySmall
    )
    Row(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalAlignment = Alignment.CenterVertically) {
        OutlinedButton(onClick = { pickGarment.launch(imageOnly) }) { Text("Gallery") }
        if (photo.ownGarment != null) {
            FilterChip(
                selected = photo.useOwnGarment,
                onClick = actions.onUseOwnGarment,
                label = { Text("Your garment") }
            )
        }
    }
    val own = photo.ownGarment
    if (own != null && photo.useOwnGarment) PickedPreview(own, "garment photo")
    SamplePicker(uiState.garments, if (photo.useOwnGarment) null else photo.garmentSampleId, actions.onSelectGarment)
    if (photo.isDecoding) Text("Reading the photo...", style = MaterialTheme.typography.bodyMedium)
    photo.modelDescription?.let { Text("Photo graph: $it", style = MaterialTheme.typography.bodySmall) }
}

/** The photo path's result: the try-on (unless no person was found), what the model found, the outputs. */
@Composable
fun PhotoResultPanel(result: PhotoResultUi) {
    Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
        result.noPersonMessage?.let { NoticeCard(it) }
        Row(horizontalArrangement = Arrangement.spacedBy(12.dp)) {
            val tryon = result.tryon
            if (tryon != null) {
                Column(Modifier.weight(1f)) {
                    SectionTitle("Try-on")
                    PixelImage(tryon.image, "try-on", Modifier.fillMaxWidth())
                }
            }
            Column(Modifier.weight(1f)) {
                SectionTitle("What the model found")
                FoundOverlay(result, Modifier.fillMaxWidth())
            }
            if (tryon == null) Spacer(Modifier.weight(1f))
        }
        Text(result.summary, style = MaterialTheme.typography.bodyMedium)
        if (result.legend.isNotEmpty()) {
            LazyRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                items(result.legend, key = { it.name }) { LegendChip(it) }
            }
        }
        val latency = result.latency
        Text(
            "${ms(latency.totalMillis)} ms: inference ${ms(latency.inferenceMillis)} ms, " +
                "fitting and packing ${ms(latency.preprocessMillis)} ms, decoding ${ms(latency.postprocessMillis)} ms · " +
                result.ranOn,
            style = MaterialTheme.typography.bodyMedium
        )
        if (result.intermediates.isNotEmpty()) {
            SectionTitle("Outputs")
            LazyRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                items(result.intermediates, key = { it.name }) { image -> Intermediate(image) }
            }
        }
    }
}

/**
 * The person as the model saw it, with the predicted parse blended in, and the
 * predicted keypoints and limbs drawn on top (positions are fractions of the
 * image, so they follow whatever size it is shown at).
 */
@Composable
private fun FoundOverlay(result: PhotoResultUi, modifier: Modifier = Modifier) {
    val image = result.found.image
    Box(modifier.aspectRatio(image.width.toFloat() / image.height)) {
        Image(
            bitmap = image,
            contentDescription = "the person with the predicted parse and keypoints",
            contentScale = ContentScale.FillBounds,
            filterQuality = FilterQuality.None,
            modifier = Modifier.matchParentSize()
        )
        Canvas(Modifier.matchParentSize()) {
            val stroke = 2.dp.toPx()
            for (limb in result.limbs) {
                drawLine(
                    color = Color.White,
                    start = Offset(limb.x1 * size.width, limb.y1 * size.height),
                    end = Offset(limb.x2 * size.width, limb.y2 * size.height),
                    strokeWidth = stroke,
                    cap = StrokeCap.Round
                )
            }
            for (point in result.points) {
                val center = Offset(point.x * size.width, point.y * size.height)
                drawCircle(color = Color.Black, radius = 4.dp.toPx(), center = center)
                drawCircle(color = KEYPOINT_COLOR, radius = 3.dp.toPx(), center = center)
            }
        }
    }
}

@Composable
private fun PickedPreview(photo: PickedPhotoUi, description: String) {
    Row(horizontalArrangement = Arrangement.spacedBy(12.dp), verticalAlignment = Alignment.CenterVertically) {
        Image(
            bitmap = photo.preview,
            contentDescription = description,
            contentScale = ContentScale.Fit,
            modifier = Modifier.height(140.dp).aspectRatio(photo.preview.width.toFloat() / photo.preview.height)
        )
        Text(photo.description, style = MaterialTheme.typography.bodySmall)
    }
}

@Composable
private fun LegendChip(item: LegendItem) {
    Row(verticalAlignment = Alignment.CenterVertically) {
        Box(Modifier.size(12.dp).background(Color(item.argb)))
        Spacer(Modifier.width(4.dp))
        Text(item.name, style = MaterialTheme.typography.labelMedium)
    }
}

/** Not an app error: something about the user's photo or the export, in the secondary container colours. */
@Composable
private fun NoticeCard(message: String) {
    Card(
        colors = CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.secondaryContainer),
        modifier = Modifier.fillMaxWidth()
    ) {
        Text(message, color = MaterialTheme.colorScheme.onSecondaryContainer, modifier = Modifier.padding(12.dp))
    }
}

private val KEYPOINT_COLOR = Color(0xFFFFEB3B)
