package com.sievenet.tryon.ui

import androidx.compose.foundation.BorderStroke
import androidx.compose.foundation.Image
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
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
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.FilterChip
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.FilterQuality
import androidx.compose.ui.graphics.ImageBitmap
import androidx.compose.ui.layout.ContentScale
import androidx.compose.ui.unit.dp
import com.sievenet.tryon.Mode
import com.sievenet.tryon.NamedImage
import com.sievenet.tryon.SampleItem
import com.sievenet.tryon.TryOnHelper
import com.sievenet.tryon.TryOnUi
import com.sievenet.tryon.UiState
import java.util.Locale

/**
 * The one screen, with two paths: "Samples" (pick a bundled person and garment,
 * whose parse and pose ship with them) and "Your photo" (a person photo from the
 * gallery or the camera, run through the export's photo graph). Both share the
 * run settings and show the result, the intermediates and the latency.
 */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun TryOnScreen(
    uiState: UiState,
    onMode: (Mode) -> Unit,
    onSelectPerson: (String) -> Unit,
    onSelectGarment: (String) -> Unit,
    onAccelerator: (TryOnHelper.Accelerator) -> Unit,
    onThreads: (Int) -> Unit,
    onVariant: (String) -> Unit,
    onTryOn: () -> Unit,
    photoActions: PhotoActions,
    onErrorShown: () -> Unit
) {
    Scaffold(topBar = { TopAppBar(title = { Text("SieveNet try-on") }) }) { padding ->
        Column(
            modifier = Modifier
                .padding(padding)
                .padding(horizontal = 16.dp)
                .verticalScroll(rememberScrollState()),
            verticalArrangement = Arrangement.spacedBy(12.dp)
        ) {
            uiState.errorMessage?.let { ErrorCard(it, onErrorShown) }
            ModelLine(uiState)
            ModeSwitch(uiState.mode, onMode)
            when (uiState.mode) {
                Mode.SAMPLES -> {
                    SectionTitle("Person")
                    SamplePicker(uiState.persons, uiState.selectedPersonId, onSelectPerson)
                    SectionTitle("Garment")
                    SamplePicker(uiState.garments, uiState.selectedGarmentId, onSelectGarment)
                    SettingsPanel(uiState, onAccelerator, onThreads, onVariant)
                    TryOnRow(onTryOn, uiState.canTryOn, uiState.isRunning || uiState.isLoadingModel)
                    uiState.result?.let { ResultPanel(it) }
                }
                Mode.YOUR_PHOTO -> {
                    YourPhotoInputs(uiState, photoActions)
                    if (uiState.photo.unavailableMessage == null) {
                        SettingsPanel(uiState, onAccelerator, onThreads, onVariant)
                        TryOnRow(
                            photoActions.onTryOn,
                            uiState.canTryOnPhoto,
                            uiState.photo.isRunning || uiState.photo.isDecoding || uiState.isLoadingModel
                        )
                        uiState.photo.result?.let { PhotoResultPanel(it) }
                    }
                }
            }
            Spacer(Modifier.height(24.dp))
        }
    }
}

@Composable
private fun ModeSwitch(mode: Mode, onMode: (Mode) -> Unit) {
    Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        FilterChip(selected = mode == Mode.SAMPLES, onClick = { onMode(Mode.SAMPLES) }, label = { Text("Samples") })
        FilterChip(selected = mode == Mode.YOUR_PHOTO, onClick = { onMode(Mode.YOUR_PHOTO) }, label = { Text("Your photo") })
    }
}

@Composable
private fun TryOnRow(onTryOn: () -> Unit, enabled: Boolean, busy: Boolean) {
    Row(verticalAlignment = Alignment.CenterVertically) {
        Button(onClick = onTryOn, enabled = enabled) { Text("Try on") }
        if (busy) {
            Spacer(Modifier.width(16.dp))
            CircularProgressIndicator(modifier = Modifier.size(24.dp))
        }
    }
}

@Composable
internal fun SectionTitle(text: String) {
    Text(text, style = MaterialTheme.typography.titleMedium)
}

@Composable
private fun ModelLine(uiState: UiState) {
    val text = when {
        uiState.modelDescription != null -> "Model: ${uiState.modelDescription}"
        uiState.isLoadingModel -> "Loading the model..."
        else -> "No model loaded."
    }
    Text(text, style = MaterialTheme.typography.bodyMedium)
}

@Composable
private fun ErrorCard(message: String, onDismiss: () -> Unit) {
    Card(
        colors = CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.errorContainer),
        modifier = Modifier.fillMaxWidth()
    ) {
        Column(Modifier.padding(12.dp)) {
            Text(message, color = MaterialTheme.colorScheme.onErrorContainer)
            TextButton(onClick = onDismiss, modifier = Modifier.align(Alignment.End)) { Text("Dismiss") }
        }
    }
}

@Composable
internal fun SamplePicker(items: List<SampleItem>, selectedId: String?, onSelect: (String) -> Unit) {
    if (items.isEmpty()) {
        Text("No samples in assets/samples (android_demo/tools/make_samples.py writes them).")
        return
    }
    LazyRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        items(items, key = { it.id }) { item ->
            val selected = item.id == selectedId
            Card(
                border = if (selected) BorderStroke(3.dp, MaterialTheme.colorScheme.primary) else null,
                modifier = Modifier.width(96.dp).clickable { onSelect(item.id) }
            ) {
                PixelImage(item.photo, item.title, Modifier.fillMaxWidth())
                Text(item.title, style = MaterialTheme.typography.labelMedium, modifier = Modifier.padding(4.dp))
            }
        }
    }
}

@Composable
private fun SettingsPanel(
    uiState: UiState,
    onAccelerator: (TryOnHelper.Accelerator) -> Unit,
    onThreads: (Int) -> Unit,
    onVariant: (String) -> Unit
) {
    val settings = uiState.settings
    Row(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalAlignment = Alignment.CenterVertically) {
        Text("Run on")
        for (accelerator in TryOnHelper.Accelerator.values()) {
            FilterChip(
                selected = settings.accelerator == accelerator,
                onClick = { onAccelerator(accelerator) },
                label = { Text(if (accelerator == TryOnHelper.Accelerator.CPU) "CPU (XNNPACK)" else "GPU") }
            )
        }
    }
    if (settings.accelerator == TryOnHelper.Accelerator.CPU) {
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalAlignment = Alignment.CenterVertically) {
            Text("Threads")
            OutlinedButton(onClick = { onThreads(settings.threads - 1) }, enabled = settings.threads > 1) { Text("-") }
            Text(settings.threads.toString(), style = MaterialTheme.typography.titleMedium)
            OutlinedButton(onClick = { onThreads(settings.threads + 1) }, enabled = settings.threads < 8) { Text("+") }
        }
    }
    if (uiState.variants.size > 1) {
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalAlignment = Alignment.CenterVertically) {
            Text("Model")
            for (variant in uiState.variants) {
                FilterChip(
                    selected = settings.variant == variant,
                    onClick = { onVariant(variant) },
                    label = { Text(variant) }
                )
            }
        }
    }
}

@Composable
private fun ResultPanel(result: TryOnUi) {
    Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
        SectionTitle("Try-on")
        PixelImage(result.tryon.image, result.tryon.name, Modifier.fillMaxWidth(0.7f))
        val latency = result.latency
        Text(
            "${ms(latency.totalMillis)} ms: inference ${ms(latency.inferenceMillis)} ms, " +
                "packing ${ms(latency.preprocessMillis)} ms, decoding ${ms(latency.postprocessMillis)} ms · ${result.ranOn}",
            style = MaterialTheme.typography.bodyMedium
        )
        if (result.intermediates.isNotEmpty()) {
            SectionTitle("Intermediates")
            LazyRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                items(result.intermediates, key = { it.name }) { image -> Intermediate(image) }
            }
        }
    }
}

@Composable
internal fun Intermediate(image: NamedImage) {
    Column(Modifier.width(120.dp)) {
        PixelImage(image.image, image.name, Modifier.fillMaxWidth())
        // Contract names, e.g. warped_cloth_fine -> "warped cloth fine".
        Text(image.name.replace('_', ' '), style = MaterialTheme.typography.labelMedium)
    }
}

/** Small model-resolution images drawn large without blurring. */
@Composable
internal fun PixelImage(bitmap: ImageBitmap, description: String, modifier: Modifier = Modifier) {
    Image(
        bitmap = bitmap,
        contentDescription = description,
        contentScale = ContentScale.Fit,
        filterQuality = FilterQuality.None,
        modifier = modifier.aspectRatio(bitmap.width.toFloat() / bitmap.height)
    )
}

internal fun ms(value: Double) = String.format(Locale.US, "%.1f", value)
