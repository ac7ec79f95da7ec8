package com.sievenet.tryon

import android.content.Context
import android.os.SystemClock
import android.util.Log
import com.sievenet.tryon.core.ArgbImage
import com.sievenet.tryon.core.ContractCheck
import com.sievenet.tryon.core.ContractNames
import com.sievenet.tryon.core.DelegateErrors
import com.sievenet.tryon.core.GarmentInput
import com.sievenet.tryon.core.ModelContract
import com.sievenet.tryon.core.OutputImage
import com.sievenet.tryon.core.PersonInput
import com.sievenet.tryon.core.PhotoFileChoice
import com.sievenet.tryon.core.PhotoOverlay
import com.sievenet.tryon.core.PhotoPath
import com.sievenet.tryon.core.PhotoPrediction
import com.sievenet.tryon.core.PreparedPhotos
import com.sievenet.tryon.core.TensorData
import com.sievenet.tryon.core.TensorInfo
import com.sievenet.tryon.core.TryOnIO
import java.io.FileInputStream
import java.io.FileNotFoundException
import java.nio.ByteBuffer
import java.nio.MappedByteBuffer
import java.nio.channels.FileChannel
import java.util.concurrent.Executors
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.flow.MutableSharedFlow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asSharedFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.withContext
import org.tensorflow.lite.Delegate
import org.tensorflow.lite.Interpreter
import org.tensorflow.lite.gpu.CompatibilityList
import org.tensorflow.lite.gpu.GpuDelegate

/**
 * Owns the LiteRT interpreters of the try-on model and runs them: the try-on
 * graph (person, parse, keypoints, cloth, cloth mask in), and, when the export
 * has one, the photo graph (person photo and cloth photo in; contract
 * `graphs.photo`), opened the first time the "Your photo" path runs.
 *
 * Everything about the models comes from `assets/model_contract.json`: the
 * .tflite files, the signature keys, the input and output names, shapes,
 * normalization and label colours. The interpreters and their delegates live on
 * one dedicated thread ([dispatcher]): the GPU delegate must be created, run
 * and closed on the same thread, and a single thread also serialises setup
 * and inference without locks. Results and errors are published as flows.
 */
class TryOnHelper(private val context: Context) {
    enum class Accelerator { CPU, GPU }

    /** What the user chose: CPU (XNNPACK, [threads] threads) or GPU, and which exported variant. */
    data class Settings(
        val accelerator: Accelerator = Accelerator.CPU,
        val threads: Int = Runtime.getRuntime().availableProcessors().coerceIn(1, 4),
        val variant: String? = null
    )

    /**
     * The loaded model: its contract, the variants present in the assets, and how it runs.
     *
     * @property photo the photo graph's file for [variant] (same precision when exported,
     *   else fp32, see [PhotoPath.chooseFile]); null when the photo path cannot run,
     *   [photoProblem] says why (e.g. [PhotoPath.NO_PHOTO_GRAPH]).
     */
    data class ModelInfo(
        val contract: ModelContract,
        val variants: List<String>,
        val variant: String,
        val file: String,
        val settings: Settings,
        val setupMillis: Double,
        val photo: PhotoFileChoice? = null,
        val photoProblem: String? = null
    )

    data class Latency(val preprocessMillis: Double, val inferenceMillis: Double, val postprocessMillis: Double) {
        val totalMillis: Double get() = preprocessMillis + inferenceMillis + postprocessMillis
    }

    /** One try-on: the outputs as pictures (the try-on first) and where the time went. */
    data class Result(val outputs: List<OutputImage>, val latency: Latency, val model: ModelInfo)

    /**
     * One run of the photo graph: the photos as the model saw them, what it found
     * (keypoints, parse, cloth mask, the no-person decision), the outputs as pictures
     * and the person with the parse blended in ([overlay], null without a parse output).
     *
     * @property setupMillis set when this run opened the photo graph's interpreter.
     */
    data class PhotoResult(
        val prepared: PreparedPhotos,
        val prediction: PhotoPrediction,
        val outputs: List<OutputImage>,
        val overlay: ArgbImage?,
        val latency: Latency,
        val model: ModelInfo,
        val choice: PhotoFileChoice,
        val setupMillis: Double?
    )

    val results: SharedFlow<Result> get() = _results.asSharedFlow()
    private val _results = MutableSharedFlow<Result>(extraBufferCapacity = 1)

    val photoResults: SharedFlow<PhotoResult> get() = _photoResults.asSharedFlow()
    private val _photoResults = MutableSharedFlow<PhotoResult>(extraBufferCapacity = 1)

    /** Errors with messages meant for the user (see [explain]). */
    val errors: SharedFlow<Throwable> get() = _errors.asSharedFlow()
    private val _errors = MutableSharedFlow<Throwable>(extraBufferCapacity = 4)

    val model: StateFlow<ModelInfo?> get() = _model.asStateFlow()
    private val _model = MutableStateFlow<ModelInfo?>(null)

    private val executor = Executors.newSingleThreadExecutor { runnable -> Thread(runnable, "litert-tryon") }
    private val dispatcher = executor.asCoroutineDispatcher()

    /** An interpreter, its delegate (GPU) and the file it runs. */
    private class Graph(val interpreter: Interpreter, val delegate: Delegate?, val file: String) {
        fun close() {
            interpreter.close()
            delegate?.close()
        }
    }

    // Touched only on [dispatcher].
    private var tryOnGraph: Graph? = null
    private var photoGraph: Graph? = null

    /** Reads the contract from the assets (no interpreter needed); throws with a clear message. */
    suspend fun readContract(): ModelContract = withContext(dispatcher) { loadContract() }

    /** (Re)creates the interpreter with [settings]; publishes [model] or an error. */
    suspend fun setup(settings: Settings) {
        withContext(dispatcher) {
            closeInterpreter()
            _model.value = null
            try {
                _model.value = createInterpreter(settings)
            } catch (e: Throwable) {
                closeInterpreter()
                Log.e(TAG, "setup failed", e)
                _errors.emit(explain(e, settings.accelerator))
            }
        }
    }

    /** Runs one try-on; publishes a [Result] or an error. */
    suspend fun tryOn(person: PersonInput, garment: GarmentInput) {
        withContext(dispatcher) {
            val info = _model.value
            val graph = tryOnGraph
            if (info == null || graph == null) {
                _errors.emit(IllegalStateException("The model is not loaded."))
                return@withContext
            }
            try {
                val contract = info.contract
                val start = SystemClock.elapsedRealtimeNanos()
                val inputs = TryOnIO.packInputs(contract, person, garment).mapValues { TensorBuffers.toBuffer(it.value) }
                val outputs = contract.outputs.associate { it.name to TensorBuffers.forOutput(it) }
                val packed = SystemClock.elapsedRealtimeNanos()
                graph.interpreter.runSignature(inputs, outputs, contract.signature)
                val ran = SystemClock.elapsedRealtimeNanos()
                val images = TryOnIO.decodeOutputs(contract, readOutputs(contract, outputs))
                val done = SystemClock.elapsedRealtimeNanos()
                val latency = Latency(millis(start, packed), millis(packed, ran), millis(ran, done))
                Log.i(TAG, "try-on ${info.variant} ${info.settings}: $latency")
                _results.emit(Result(images, latency, info))
            } catch (e: Throwable) {
                Log.e(TAG, "try-on failed", e)
                _errors.emit(explain(e, info.settings.accelerator))
            }
        }
    }

    /**
     * Runs the photo graph on two photos of any size (upright: EXIF orientation
     * applied); publishes a [PhotoResult] (also when no person was found: its
     * prediction says so) or an error. Opens the photo graph's interpreter, with
     * the current settings, on first use.
     */
    suspend fun tryOnPhoto(person: ArgbImage, cloth: ArgbImage) {
        withContext(dispatcher) {
            val info = _model.value
            if (info == null || tryOnGraph == null) {
                _errors.emit(IllegalStateException("The model is not loaded."))
                return@withContext
            }
            try {
                val choice = info.photo ?: throw PhotoUnavailableException(info.photoProblem ?: PhotoPath.NO_PHOTO_GRAPH)
                val contract = info.contract
                val photoContract = contract.photoContract() ?: throw PhotoUnavailableException(PhotoPath.NO_PHOTO_GRAPH)
                var setupMillis: Double? = null
                var graph = photoGraph
                if (graph == null) {
                    val opening = SystemClock.elapsedRealtimeNanos()
                    graph = openGraph(photoContract, choice.file, info.settings)
                    photoGraph = graph
                    setupMillis = millis(opening, SystemClock.elapsedRealtimeNanos())
                }
                val start = SystemClock.elapsedRealtimeNanos()
                val prepared = PhotoPath.prepare(contract, person, cloth)
                val inputs = prepared.inputs.mapValues { TensorBuffers.toBuffer(it.value) }
                val outputs = photoContract.outputs.associate { it.name to TensorBuffers.forOutput(it) }
                val packed = SystemClock.elapsedRealtimeNanos()
                graph.interpreter.runSignature(inputs, outputs, photoContract.signature)
                val ran = SystemClock.elapsedRealtimeNanos()
                val data = readOutputs(photoContract, outputs)
                val prediction = PhotoPath.readPrediction(contract, data)
                val images = TryOnIO.decodeOutputs(photoContract, data)
                val parse = prediction.parse
                val labels = prediction.parseLabels
                val overlay = if (parse != null && labels != null) {
                    PhotoOverlay.blendParse(prepared.person, parse, labels)
                } else {
                    null
                }
                val done = SystemClock.elapsedRealtimeNanos()
                val latency = Latency(millis(start, packed), millis(packed, ran), millis(ran, done))
                Log.i(TAG, "photo ${choice.variant} ${info.settings}: $latency, ${prediction.foundKeypoints} keypoints")
                _photoResults.emit(PhotoResult(prepared, prediction, images, overlay, latency, info, choice, setupMillis))
            } catch (e: Throwable) {
                Log.e(TAG, "photo try-on failed", e)
                _errors.emit(explain(e, info.settings.accelerator))
            }
        }
    }

    /** Frees the interpreter and the thread; the helper cannot be used afterwards. */
    fun close() {
        executor.execute { closeInterpreter() }
        executor.shutdown()
    }

    private fun createInterpreter(settings: Settings): ModelInfo {
        val start = SystemClock.elapsedRealtimeNanos()
        val contract = loadContract()
        val inAssets = (context.assets.list("") ?: emptyArray()).toSet()
        val variants = contract.tfliteVariants().filter { it.second in inAssets }
        if (variants.isEmpty()) {
            throw ModelMissingException(
                "${ContractNames.CONTRACT_FILE} lists ${contract.tfliteVariants().map { it.second }}, but none is in " +
                    "the app's assets. Run ./gradlew :app:copyModel -PexportDir=<export dir> and rebuild."
            )
        }
        val (variant, file) = variants.firstOrNull { it.first == settings.variant } ?: variants.first()
        tryOnGraph = openGraph(contract, file, settings)

        // The photo graph is opened on first use; here only whether (and which file) it can run.
        var photo: PhotoFileChoice? = null
        var photoProblem: String? = null
        val problems = PhotoPath.problemsForApp(contract)
        when {
            contract.photo == null -> photoProblem = PhotoPath.NO_PHOTO_GRAPH
            problems.isNotEmpty() -> photoProblem = "This app cannot drive the export's photo graph:\n- " + problems.joinToString("\n- ")
            else -> try {
                photo = PhotoPath.chooseFile(contract, variant, inAssets)
            } catch (e: IllegalArgumentException) {
                photoProblem = e.message
            }
        }

        return ModelInfo(
            contract = contract,
            variants = variants.map { it.first },
            variant = variant,
            file = file,
            settings = settings.copy(variant = variant),
            setupMillis = millis(start, SystemClock.elapsedRealtimeNanos()),
            photo = photo,
            photoProblem = photoProblem
        )
    }

    /**
     * Creates an interpreter for [file] with [settings] (XNNPACK threads or the GPU
     * delegate), checks that its signature agrees with [contract] and runs it once
     * on zeros. Closes what it created when any step fails.
     */
    private fun openGraph(contract: ModelContract, file: String, settings: Settings): Graph {
        var gpu: GpuDelegate? = null
        var interpreter: Interpreter? = null
        try {
            val options = Interpreter.Options().setNumThreads(settings.threads)
            when (settings.accelerator) {
                Accelerator.CPU -> options.setUseXNNPACK(true)
                Accelerator.GPU -> {
                    val compatibility = CompatibilityList()
                    try {
                        if (!compatibility.isDelegateSupportedOnThisDevice) {
                            throw GpuException(
                                "LiteRT's GPU delegate does not support this device (CompatibilityList). Choose CPU (XNNPACK)."
                            )
                        }
                        val created = GpuDelegate(compatibility.bestOptionsForThisDevice)
                        gpu = created
                        options.addDelegate(created)
                    } finally {
                        compatibility.close()
                    }
                }
            }
            val opened = Interpreter(mapAsset(file), options)
            interpreter = opened

            if (contract.signature !in opened.signatureKeys) {
                throw IllegalArgumentException(
                    "$file has no signature '${contract.signature}' (it has ${opened.signatureKeys.toList()}); " +
                        "was it exported with the same tool as ${ContractNames.CONTRACT_FILE}?"
                )
            }
            val problems = ContractCheck.problemsAgainstModel(
                contract,
                opened.getSignatureInputs(contract.signature).associateWith { name ->
                    opened.getInputTensorFromSignature(name, contract.signature).let { TensorInfo(it.shape().toList(), dtype(it.dataType().name)) }
                },
                opened.getSignatureOutputs(contract.signature).associateWith { name ->
                    opened.getOutputTensorFromSignature(name, contract.signature).let { TensorInfo(it.shape().toList(), dtype(it.dataType().name)) }
                },
                file
            )
            if (problems.isNotEmpty()) {
                throw IllegalArgumentException("$file and ${ContractNames.CONTRACT_FILE} disagree:\n- " + problems.joinToString("\n- "))
            }

            // One run on zeros: delegates finish preparing on the first invoke, so the
            // latency the user sees afterwards is the steady-state one.
            val zeros = contract.inputs.associate { it.name to TensorBuffers.toBuffer(TensorData.zeros(it)) }
            opened.runSignature(zeros, contract.outputs.associate { it.name to TensorBuffers.forOutput(it) }, contract.signature)
            return Graph(opened, gpu, file)
        } catch (e: Throwable) {
            interpreter?.close()
            gpu?.close()
            throw e
        }
    }

    /** The output buffers of a run, read back as the contract's tensors by name. */
    private fun readOutputs(contract: ModelContract, outputs: Map<String, ByteBuffer>): Map<String, TensorData> =
        contract.outputs.associate { spec -> spec.name to TensorBuffers.fromBuffer(spec, outputs.getValue(spec.name)) }

    private fun loadContract(): ModelContract {
        val text = try {
            context.assets.open(ContractNames.CONTRACT_FILE).bufferedReader().use { it.readText() }
        } catch (e: FileNotFoundException) {
            throw ModelMissingException(
                "No ${ContractNames.CONTRACT_FILE} in the app's assets. Export a model, then run " +
                    "./gradlew :app:copyModel -PexportDir=<export dir> and rebuild (see android_demo/README.md)."
            )
        }
        val contract = ModelContract.parse(text)
        ContractCheck.requireUsableByApp(contract)
        return contract
    }

    /** Memory-maps an uncompressed asset (build.gradle.kts keeps .tflite uncompressed). */
    private fun mapAsset(name: String): MappedByteBuffer =
        context.assets.openFd(name).use { fd ->
            FileInputStream(fd.fileDescriptor).use { stream ->
                stream.channel.map(FileChannel.MapMode.READ_ONLY, fd.startOffset, fd.declaredLength)
            }
        }

    private fun closeInterpreter() {
        tryOnGraph?.close()
        tryOnGraph = null
        photoGraph?.close()
        photoGraph = null
    }

    /** A GPU failure becomes an explanation naming the ops it cannot run; others keep their message. */
    private fun explain(error: Throwable, accelerator: Accelerator): Throwable = when {
        error is ModelMissingException || error is GpuException || error is PhotoUnavailableException -> error
        accelerator == Accelerator.GPU && DelegateErrors.isDelegateFailure(error.message) ->
            GpuException(DelegateErrors.explainGpuFailure(error.message), error)
        else -> error
    }

    private fun dtype(name: String) = name.lowercase()

    private fun millis(from: Long, to: Long) = (to - from) / 1e6

    class ModelMissingException(message: String) : Exception(message)

    class GpuException(message: String, cause: Throwable? = null) : Exception(message, cause)

    /** The photo path cannot run with this export (no photo graph, its file missing, ...). */
    class PhotoUnavailableException(message: String) : Exception(message)

    companion object {
        private const val TAG = "TryOnHelper"
    }
}
