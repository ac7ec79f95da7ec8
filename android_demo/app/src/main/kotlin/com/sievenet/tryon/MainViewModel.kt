package com.sievenet.tryon

import android.content.Context
import android.net.Uri
import androidx.compose.ui.graphics.asImageBitmap
import androidx.lifecycle.ViewModel
import androidx.lifecycle.ViewModelProvider
import androidx.lifecycle.viewModelScope
import androidx.lifecycle.viewmodel.CreationExtras
import com.sievenet.tryon.core.ArgbImage
import com.sievenet.tryon.core.ContractNames
import com.sievenet.tryon.core.ModelContract
import com.sievenet.tryon.core.PhotoOverlay
import com.sievenet.tryon.core.PhotoPath
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import java.util.Locale

/**
 * Holds the screen's [UiState]: loads the contract, the samples and the model,
 * forwards the user's choices to [TryOnHelper] and turns its results and errors
 * into state. The "Your photo" path: photos decoded by [PhotoDecoder], run
 * through the export's photo graph ([TryOnHelper.tryOnPhoto]).
 */
class MainViewModel(
    private val helper: TryOnHelper,
    private val repository: SampleRepository,
    private val decoder: PhotoDecoder
) : ViewModel() {
    companion object {
        fun getFactory(context: Context) = object : ViewModelProvider.Factory {
            @Suppress("UNCHECKED_CAST")
            override fun <T : ViewModel> create(modelClass: Class<T>, extras: CreationExtras): T {
                val appContext = context.applicationContext
                return MainViewModel(TryOnHelper(appContext), SampleRepository(appContext), PhotoDecoder(appContext)) as T
            }
        }

        /** The model's size before the contract is read (the paper preset's). */
        private const val DEFAULT_WIDTH = 192
        private const val DEFAULT_HEIGHT = 256
    }

    private val _uiState = MutableStateFlow(UiState())
    val uiState: StateFlow<UiState> = _uiState.asStateFlow()

    private var samples: Samples? = null
    private var contract: ModelContract? = null
    private var setupJob: Job? = null

    // The photo path's photos (decoded; the state holds only their previews). Main thread only.
    private var personPhoto: PickedPhoto? = null
    private var ownGarmentPhoto: PickedPhoto? = null
    private var decoding = 0

    init {
        viewModelScope.launch {
            helper.results.collect { result -> _uiState.update { it.copy(isRunning = false, result = result.toUi()) } }
        }
        viewModelScope.launch {
            helper.photoResults.collect { result ->
                _uiState.update { it.copy(photo = it.photo.copy(isRunning = false, result = result.toUi())) }
            }
        }
        viewModelScope.launch {
            helper.errors.collect { error ->
                _uiState.update {
                    it.copy(
                        isRunning = false,
                        isLoadingModel = false,
                        photo = it.photo.copy(isRunning = false),
                        errorMessage = error.message ?: error.toString()
                    )
                }
            }
        }
        viewModelScope.launch {
            helper.model.collect { info ->
                _uiState.update {
                    it.copy(
                        // null also means "setting up": only an error or a model ends loading.
                        isLoadingModel = if (info != null) false else it.isLoadingModel,
                        modelDescription = info?.describe(),
                        variants = info?.variants ?: it.variants,
                        settings = info?.settings ?: it.settings,
                        photo = if (info == null) {
                            it.photo.copy(modelDescription = null)
                        } else {
                            it.photo.copy(
                                unavailableMessage = if (info.photo == null) info.photoProblem ?: PhotoPath.NO_PHOTO_GRAPH else null,
                                modelDescription = info.photo?.let { choice ->
                                    choice.file + (choice.note?.let { note -> " ($note)" } ?: "")
                                }
                            )
                        }
                    )
                }
            }
        }
        viewModelScope.launch { start() }
    }

    /** Contract first (it gives the image size the samples are decoded for), then samples and model. */
    private suspend fun start() {
        val contract = try {
            helper.readContract()
        } catch (e: Exception) {
            _uiState.update { it.copy(isLoadingModel = false, errorMessage = e.message) }
            null
        }
        this.contract = contract
        try {
            val loaded = repository.load(contract?.imageWidth ?: 192, contract?.imageHeight ?: 256)
            samples = loaded
            _uiState.update { state ->
                state.copy(
                    persons = loaded.persons.map { SampleItem(it.entry.id, it.entry.title, it.photo.asImageBitmap()) },
                    garments = loaded.garments.map { SampleItem(it.entry.id, it.entry.title, it.photo.asImageBitmap()) },
                    selectedPersonId = loaded.persons.firstOrNull()?.entry?.id,
                    selectedGarmentId = loaded.garments.firstOrNull()?.entry?.id,
                    photo = state.photo.copy(garmentSampleId = loaded.garments.firstOrNull()?.entry?.id)
                )
            }
            val problems = contract?.let { loaded.index.problemsWith(it) }.orEmpty()
            if (problems.isNotEmpty()) _uiState.update { it.copy(errorMessage = problems.joinToString("\n")) }
        } catch (e: Exception) {
            _uiState.update { it.copy(errorMessage = "Could not load the bundled samples: ${e.message}") }
        }
        if (contract != null) applySettings(_uiState.value.settings)
    }

    fun selectPerson(id: String) = _uiState.update { it.copy(selectedPersonId = id) }

    fun selectGarment(id: String) = _uiState.update { it.copy(selectedGarmentId = id) }

    fun setAccelerator(accelerator: TryOnHelper.Accelerator) =
        applySettings(_uiState.value.settings.copy(accelerator = accelerator))

    fun setThreads(threads: Int) = applySettings(_uiState.value.settings.copy(threads = threads.coerceIn(1, 8)))

    fun setVariant(variant: String) = applySettings(_uiState.value.settings.copy(variant = variant))

    fun tryOn() {
        val state = _uiState.value
        val loaded = samples ?: return
        val person = loaded.persons.firstOrNull { it.entry.id == state.selectedPersonId } ?: return
        val garment = loaded.garments.firstOrNull { it.entry.id == state.selectedGarmentId } ?: return
        _uiState.update { it.copy(isRunning = true, errorMessage = null) }
        viewModelScope.launch { helper.tryOn(person.input, garment.input) }
    }

    fun errorShown() = _uiState.update { it.copy(errorMessage = null) }

    /** A message for the user (e.g. no camera app), shown like an error. */
    fun showMessage(message: String) = _uiState.update { it.copy(errorMessage = message) }

    fun setMode(mode: Mode) = _uiState.update { it.copy(mode = mode) }

    // ------------------------------------------------------------------ "Your photo"

    /** A person photo from the Photo Picker or the camera. */
    fun onPersonPhoto(uri: Uri) = decodePhoto(uri, "person photo") { picked ->
        personPhoto = picked
        _uiState.update { it.copy(photo = it.photo.copy(person = picked.toUi(), result = null)) }
    }

    /** A garment photo from the Photo Picker: used from now on, until a bundled garment is chosen. */
    fun onGarmentPhoto(uri: Uri) = decodePhoto(uri, "garment photo") { picked ->
        ownGarmentPhoto = picked
        _uiState.update {
            it.copy(photo = it.photo.copy(ownGarment = picked.toUi(), useOwnGarment = true, result = null))
        }
    }

    fun selectPhotoGarment(id: String) =
        _uiState.update { it.copy(photo = it.photo.copy(garmentSampleId = id, useOwnGarment = false, result = null)) }

    fun useOwnGarment() = _uiState.update {
        if (it.photo.ownGarment == null) it else it.copy(photo = it.photo.copy(useOwnGarment = true, result = null))
    }

    /** Where the camera app writes the next person photo; null (with a message) when it cannot be created. */
    fun newCameraUri(): Uri? = try {
        decoder.newCameraUri()
    } catch (e: Exception) {
        showMessage("Cannot prepare a file for the camera: ${e.message}")
        null
    }

    fun tryOnPhoto() {
        val state = _uiState.value
        if (!state.canTryOnPhoto) return
        val person = personPhoto ?: return
        val chosen: ArgbImage? = if (state.photo.useOwnGarment) {
            ownGarmentPhoto?.image
        } else {
            // The bundled garment's photo only: the photo graph finds the mask itself.
            samples?.garments?.firstOrNull { it.entry.id == state.photo.garmentSampleId }?.input?.photo
        }
        val cloth = chosen ?: return
        _uiState.update { it.copy(photo = it.photo.copy(isRunning = true), errorMessage = null) }
        viewModelScope.launch { helper.tryOnPhoto(person.image, cloth) }
    }

    private fun decodePhoto(uri: Uri, what: String, onDecoded: (PickedPhoto) -> Unit) {
        val size = contract
        decoding++
        _uiState.update { it.copy(photo = it.photo.copy(isDecoding = true), errorMessage = null) }
        viewModelScope.launch {
            try {
                onDecoded(
                    decoder.decode(uri, what, size?.imageWidth ?: DEFAULT_WIDTH, size?.imageHeight ?: DEFAULT_HEIGHT)
                )
            } catch (e: PhotoException) {
                _uiState.update { it.copy(errorMessage = e.message) }
            } finally {
                decoding--
                _uiState.update { it.copy(photo = it.photo.copy(isDecoding = decoding > 0)) }
            }
        }
    }

    private fun applySettings(settings: TryOnHelper.Settings) {
        if (settings == _uiState.value.settings && _uiState.value.modelDescription != null) return
        _uiState.update {
            it.copy(
                settings = settings, isLoadingModel = true, modelDescription = null, result = null,
                photo = it.photo.copy(result = null)
            )
        }
        setupJob?.cancel()
        setupJob = viewModelScope.launch { helper.setup(settings) }
    }

    override fun onCleared() {
        helper.close()
    }

    private fun TryOnHelper.ModelInfo.describe(): String {
        val preset = contract.preset?.let { "$it · " } ?: ""
        return "$preset${contract.imageHeight} x ${contract.imageWidth} · $file · set up in ${format(setupMillis)} ms"
    }

    private fun TryOnHelper.Result.toUi(): TryOnUi {
        val images = outputs.map { NamedImage(it.name, it.image.toBitmap().asImageBitmap()) }
        val main = images.firstOrNull { it.name == ContractNames.TRYON } ?: images.first()
        val how = when (model.settings.accelerator) {
            TryOnHelper.Accelerator.CPU -> "CPU (XNNPACK, ${model.settings.threads} threads)"
            TryOnHelper.Accelerator.GPU -> "GPU delegate"
        }
        return TryOnUi(main, images.filter { it !== main }, latency, "${model.variant} on $how")
    }

    private fun PickedPhoto.toUi() = PickedPhotoUi(preview.asImageBitmap(), describe())

    private fun TryOnHelper.PhotoResult.toUi(): PhotoResultUi {
        val images = outputs.map { NamedImage(it.name, it.image.toBitmap().asImageBitmap()) }
        val width = prepared.person.width
        val height = prepared.person.height
        val points = PhotoOverlay.visiblePoints(prediction.keypoints).map {
            KeypointDot(it.name ?: "", PhotoOverlay.viewX(it.x, width), PhotoOverlay.viewY(it.y, height))
        }
        val limbs = PhotoOverlay.limbs(prediction.keypoints).map {
            LimbLine(
                PhotoOverlay.viewX(it.from.x, width), PhotoOverlay.viewY(it.from.y, height),
                PhotoOverlay.viewX(it.to.x, width), PhotoOverlay.viewY(it.to.y, height)
            )
        }
        val parse = prediction.parse
        val labels = prediction.parseLabels
        val legend = if (parse != null && labels != null) {
            PhotoOverlay.legend(parse, labels).map { LegendItem(it.name, it.color) }
        } else {
            emptyList()
        }
        val graph = model.contract.photo
        val summary = StringBuilder()
        summary.append("${prediction.foundKeypoints} of ${prediction.keypoints.size} keypoints found")
        graph?.let { summary.append(" (${it.minKeypoints} needed)") }
        prediction.clothMaskCoverage?.let {
            summary.append(" · ${graph?.clothMask ?: "predicted"} cloth mask covers ")
            summary.append(String.format(Locale.US, "%.0f", it * 100)).append(" % of the garment photo")
        }
        val how = when (model.settings.accelerator) {
            TryOnHelper.Accelerator.CPU -> "CPU (XNNPACK, ${model.settings.threads} threads)"
            TryOnHelper.Accelerator.GPU -> "GPU delegate"
        }
        val ranOn = StringBuilder("${choice.variant} photo graph on $how")
        choice.note?.let { ranOn.append(" · ").append(it) }
        setupMillis?.let { ranOn.append(" · opened in ${format(it)} ms") }
        return PhotoResultUi(
            tryon = if (prediction.personFound) images.firstOrNull { it.name == ContractNames.TRYON } else null,
            found = NamedImage("found", (overlay ?: prepared.person).toBitmap().asImageBitmap()),
            points = points,
            limbs = limbs,
            legend = legend,
            summary = summary.toString(),
            noPersonMessage = prediction.noPersonMessage,
            intermediates = images.filter { it.name != ContractNames.TRYON },
            latency = latency,
            ranOn = ranOn.toString()
        )
    }

    private fun format(millis: Double) = String.format(Locale.US, "%.0f", millis)
}
