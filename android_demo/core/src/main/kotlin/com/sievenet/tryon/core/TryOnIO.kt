package com.sievenet.tryon.core

/** A person as the app holds one: photo, parse (class ids) and pose keypoints, each at its own size. */
class PersonInput(val photo: ArgbImage, val parse: LabelMap, val keypoints: KeypointSet)

/** A garment: flat photo and mask (white = garment). */
class GarmentInput(val photo: ArgbImage, val mask: ArgbImage)

/** One output ready to show: its contract name and encoding, and the picture. */
class OutputImage(val name: String, val encoding: String, val image: ArgbImage)

/**
 * Builds the model's inputs and reads its outputs, driven entirely by the
 * contract: which inputs exist, their shapes, dtypes, normalization and label
 * ranges. The app only knows which of its sources feeds which input name
 * ([ContractNames.INPUTS]).
 */
object TryOnIO {
    /**
     * Packs every input the contract lists, keyed by input name.
     *
     * @throws IllegalArgumentException naming the input, when the contract asks
     *   for an input the app has no source for, or a source does not fit.
     */
    fun packInputs(contract: ModelContract, person: PersonInput, garment: GarmentInput): Map<String, TensorData> {
        val packed = LinkedHashMap<String, TensorData>()
        for (spec in contract.inputs) {
            val data: TensorData = when (spec.name) {
                ContractNames.PERSON -> floats(spec, TensorPacking.packImage(spec, contract.normalizationFor(spec), person.photo))
                ContractNames.CLOTH -> floats(spec, TensorPacking.packImage(spec, contract.normalizationFor(spec), garment.photo))
                ContractNames.CLOTH_MASK -> floats(spec, TensorPacking.packMask(spec, garment.mask))
                ContractNames.PARSE -> TensorData.Ints(spec.shape, TensorPacking.packLabels(spec, person.parse))
                ContractNames.KEYPOINTS -> floats(
                    spec,
                    TensorPacking.packKeypoints(
                        spec, person.keypoints, contract.keypointNames, contract.imageHeight, contract.imageWidth
                    )
                )
                else -> throw IllegalArgumentException(
                    "input '${spec.name}' (encoding ${spec.encoding}) is not one this app can fill; " +
                        "it fills ${ContractNames.INPUTS.map { it.name }}"
                )
            }
            if (data.shape != spec.shape) {
                throw IllegalArgumentException("input '${spec.name}': packed shape ${data.shape}, the contract says ${spec.shape}")
            }
            packed[spec.name] = data
        }
        return packed
    }

    /**
     * Turns the outputs into pictures: the app's outputs in [ContractNames.OUTPUTS]
     * order first, then any other output of a known encoding. Outputs of an
     * unknown encoding, or missing from [outputs], are skipped.
     */
    fun decodeOutputs(contract: ModelContract, outputs: Map<String, TensorData>): List<OutputImage> {
        val order = ArrayList<TensorSpec>()
        for (role in ContractNames.OUTPUTS) contract.outputOrNull(role.name)?.let { order.add(it) }
        for (spec in contract.outputs) if (spec !in order) order.add(spec)
        val images = ArrayList<OutputImage>()
        for (spec in order) {
            val data = outputs[spec.name] ?: continue
            val image = when (spec.encoding) {
                ContractNames.ENCODING_IMAGE ->
                    TensorPacking.unpackImage(spec, contract.normalizationFor(spec), floatValues(spec, data))
                ContractNames.ENCODING_MASK -> TensorPacking.unpackMask(spec, floatValues(spec, data))
                ContractNames.ENCODING_LABEL_IDS ->
                    TensorPacking.colorLabels(spec, contract.labelSetFor(spec), intValues(spec, data))
                else -> null
            }
            if (image != null) images.add(OutputImage(spec.name, spec.encoding, image))
        }
        return images
    }

    private fun floats(spec: TensorSpec, values: FloatArray): TensorData {
        require(spec.dtype == "float32") { "input '${spec.name}': the app packs float32, the contract says ${spec.dtype}" }
        return TensorData.Floats(spec.shape, values)
    }

    private fun floatValues(spec: TensorSpec, data: TensorData): FloatArray = when (data) {
        is TensorData.Floats -> data.values
        is TensorData.Ints -> throw IllegalArgumentException("output '${spec.name}': expected float32 values, got int32")
    }

    private fun intValues(spec: TensorSpec, data: TensorData): IntArray = when (data) {
        is TensorData.Ints -> data.values
        is TensorData.Floats -> throw IllegalArgumentException("output '${spec.name}': expected int32 values, got float32")
    }
}
