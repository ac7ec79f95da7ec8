package com.sievenet.tryon

import android.content.Context
import android.os.SystemClock
import android.util.Log
import com.sievenet.tryon.core.ContractCheck
import com.sievenet.tryon.core.ContractNames
import com.sievenet.tryon.core.DelegateErrors
import com.sievenet.tryon.core.GarmentInput
import com.sievenet.tryon.core.ModelContract
import com.sievenet.tryon.core.OutputImage
import com.sievenet.tryon.core.PersonInput
import com.sievenet.tryon.core.TensorData
import com.sievenet.tryon.core.TensorInfo
import com.sievenet.tryon.core.TryOnIO
import java.io.FileInputStream
import java.io.FileNotFoundException
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
 * Owns the LiteRT interpreter of the try-on model and runs it.
 *
 * Everything about the model comes from `assets/model_contract.json`: the
 * .tflite files, the signature key, the input and output names, shapes,
 * normalization and label colours. The interpreter and its delegate live on
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

    /** The loaded model: its contract, the variants present in the assets, and how it runs. */
    data class ModelInfo(
        val contract: ModelContract,
        val variants: List<String>,
        val variant: String,
        val file: String,
        val settings: Settings,
        val setupMillis: Double
    )

    data class Latency(val preprocessMillis: Double, val inferenceMillis: Double, val postprocessMillis: Double) {
        val totalMillis: Double get() = preprocessMillis + inferenceMillis + postprocessMillis
    }

    /** One try-on: the outputs as pictures (the try-on first) and where the time went. */
    data class Result(val outputs: List<OutputImage>, val latency: Latency, val model: ModelInfo)

    val results: SharedFlow<Result> get() = _results.asSharedFlow()
    private val _results = MutableSharedFlow<Result>(extraBufferCapacity = 1)

    /** Errors with messages meant for the user (see [explain]). */
    val errors: SharedFlow<Throwable> get() = _errors.asSharedFlow()
    private val _errors = MutableSharedFlow<Throwable>(extraBufferCapacity = 4)

    val model: StateFlow<ModelInfo?> get() = _model.asStateFlow()
    private val _model = MutableStateFlow<ModelInfo?>(null)

    private val executor = Executors.newSingleThreadExecutor { runnable -> Thread(runnable, "litert-tryon") }
    private val dispatcher = executor.asCoroutineDispatcher()

    // Touched only on [dispatcher].
    private var interpreter: Interpreter? = null
    private var delegate: Delegate? = null

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
            val interpreter = interpreter
            if (info == null || interpreter == null) {
                _errors.emit(IllegalStateException("The model is not loaded."))
                return@withContext
            }
            try {
                val contract = info.contract
                val start = SystemClock.elapsedRealtimeNanos()
                val inputs = TryOnIO.packInputs(contract, person, garment).mapValues { TensorBuffers.toBuffer(it.value) }
                val outputs = contract.outputs.associate { it.name to TensorBuffers.forOutput(it) }
                val packed = SystemClock.elapsedRealtimeNanos()
                interpreter.runSignature(inputs, outputs, contract.signature)
                val ran = SystemClock.elapsedRealtimeNanos()
                val data = contract.outputs.associate { spec -> spec.name to TensorBuffers.fromBuffer(spec, outputs.getValue(spec.name)) }
                val images = TryOnIO.decodeOutputs(contract, data)
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
                    val gpu = GpuDelegate(compatibility.bestOptionsForThisDevice)
                    delegate = gpu
                    options.addDelegate(gpu)
                } finally {
                    compatibility.close()
                }
            }
        }
        val interpreter = Interpreter(mapAsset(file), options)
        this.interpreter = interpreter

        if (contract.signature !in interpreter.signatureKeys) {
            throw IllegalArgumentException(
                "$file has no signature '${contract.signature}' (it has ${interpreter.signatureKeys.toList()}); " +
                    "was it exported with the same tool as ${ContractNames.CONTRACT_FILE}?"
            )
        }
        val problems = ContractCheck.problemsAgainstModel(
            contract,
            interpreter.getSignatureInputs(contract.signature).associateWith { name ->
                interpreter.getInputTensorFromSignature(name, contract.signature).let { TensorInfo(it.shape().toList(), dtype(it.dataType().name)) }
            },
            interpreter.getSignatureOutputs(contract.signature).associateWith { name ->
                interpreter.getOutputTensorFromSignature(name, contract.signature).let { TensorInfo(it.shape().toList(), dtype(it.dataType().name)) }
            },
            file
        )
        if (problems.isNotEmpty()) {
            throw IllegalArgumentException("$file and ${ContractNames.CONTRACT_FILE} disagree:\n- " + problems.joinToString("\n- "))
        }

        // One run on zeros: delegates finish preparing on the first invoke, so the
        // latency the user sees afterwards is the steady-state one.
        val zeros = contract.inputs.associate { it.name to TensorBuffers.toBuffer(TensorData.zeros(it)) }
        val sinks = contract.outputs.associate { it.name to TensorBuffers.forOutput(it) }
        interpreter.runSignature(zeros, sinks, contract.signature)

        return ModelInfo(
            contract = contract,
            variants = variants.map { it.first },
            variant = variant,
            file = file,
            settings = settings.copy(variant = variant),
            setupMillis = millis(start, SystemClock.elapsedRealtimeNanos())
        )
    }

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
        interpreter?.close()
        interpreter = null
        delegate?.close()
        delegate = null
    }

    /** A GPU failure becomes an explanation naming the ops it cannot run; others keep their message. */
    private fun explain(error: Throwable, accelerator: Accelerator): Throwable = when {
        error is ModelMissingException || error is GpuException -> error
        accelerator == Accelerator.GPU && DelegateErrors.isDelegateFailure(error.message) ->
            GpuException(DelegateErrors.explainGpuFailure(error.message), error)
        else -> error
    }

    private fun dtype(name: String) = name.lowercase()

    private fun millis(from: Long, to: Long) = (to - from) / 1e6

    class ModelMissingException(message: String) : Exception(message)

    class GpuException(message: String, cause: Throwable? = null) : Exception(message, cause)

    companion object {
        private const val TAG = "TryOnHelper"
    }
}
