package com.sievenet.tryon

import android.content.Context
import androidx.compose.ui.graphics.asImageBitmap
import androidx.lifecycle.ViewModel
import androidx.lifecycle.ViewModelProvider
import androidx.lifecycle.viewModelScope
import androidx.lifecycle.viewmodel.CreationExtras
import com.sievenet.tryon.core.ContractNames
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
 * into state.
 */
class MainViewModel(
    private val helper: TryOnHelper,
    private val repository: SampleRepository
) : ViewModel() {
    companion object {
        fun getFactory(context: Context) = object : ViewModelProvider.Factory {
            @Suppress("UNCHECKED_CAST")
            override fun <T : ViewModel> create(modelClass: Class<T>, extras: CreationExtras): T {
                val appContext = context.applicationContext
                return MainViewModel(TryOnHelper(appContext), SampleRepository(appContext)) as T
            }
        }
    }

    private val _uiState = MutableStateFlow(UiState())
    val uiState: StateFlow<UiState> = _uiState.asStateFlow()

    private var samples: Samples? = null
    private var setupJob: Job? = null

    init {
        viewModelScope.launch {
            helper.results.collect { result -> _uiState.update { it.copy(isRunning = false, result = result.toUi()) } }
        }
        viewModelScope.launch {
            helper.errors.collect { error ->
                _uiState.update {
                    it.copy(isRunning = false, isLoadingModel = false, errorMessage = error.message ?: error.toString())
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
                        settings = info?.settings ?: it.settings
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
        try {
            val loaded = repository.load(contract?.imageWidth ?: 192, contract?.imageHeight ?: 256)
            samples = loaded
            _uiState.update { state ->
                state.copy(
                    persons = loaded.persons.map { SampleItem(it.entry.id, it.entry.title, it.photo.asImageBitmap()) },
                    garments = loaded.garments.map { SampleItem(it.entry.id, it.entry.title, it.photo.asImageBitmap()) },
                    selectedPersonId = loaded.persons.firstOrNull()?.entry?.id,
                    selectedGarmentId = loaded.garments.firstOrNull()?.entry?.id
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

    private fun applySettings(settings: TryOnHelper.Settings) {
        if (settings == _uiState.value.settings && _uiState.value.modelDescription != null) return
        _uiState.update { it.copy(settings = settings, isLoadingModel = true, modelDescription = null, result = null) }
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

    private fun format(millis: Double) = String.format(Locale.US, "%.0f", millis)
}
