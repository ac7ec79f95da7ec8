package com.sievenet.tryon.core

import com.google.gson.Gson
import com.google.gson.JsonArray
import com.google.gson.JsonElement
import com.google.gson.JsonObject
import com.google.gson.JsonPrimitive
import com.google.gson.TypeAdapter
import com.google.gson.stream.JsonReader
import com.google.gson.stream.JsonToken
import com.google.gson.stream.MalformedJsonException
import java.io.IOException
import java.io.StringReader
import java.math.BigDecimal

/**
 * Reads the model contract, the sample index and OpenPose files with Gson's
 * tree API, and gives typed, path-aware access to the result: [JsonObjectView]
 * and [JsonArrayView] getters name the offending field in their errors, e.g.
 * `model_contract.json.inputs[2].shape[1]: expected an integer, got the string "64"`.
 *
 * The JVM tests (run_jvm_tests.sh) compile against Debian's Gson 2.10, the app
 * against the version in gradle/libs.versions.toml: use only API that 2.10 has
 * (no `Strictness`, which came in 2.11).
 */
object Json {
    /** Contracts nest 4 deep; the limit stops a hostile file from overflowing the stack. */
    const val MAX_DEPTH = 200

    // Gson's own JsonElement adapter, driven directly: JsonParser.parseString and
    // Gson.fromJson switch the reader to lenient mode (comments, single quotes, NaN,
    // unquoted strings), while a plain JsonReader is strict.
    private val elementAdapter: TypeAdapter<JsonElement> = Gson().getAdapter(JsonElement::class.java)

    private val LOCATION = Regex("at line (\\d+) column (\\d+)")

    /**
     * Parses a document whose root must be an object; [name] starts the error paths.
     *
     * @throws JsonException for malformed JSON (with line and column) or another root.
     */
    fun parseObject(text: String, name: String): JsonObjectView {
        val root = parse(text, name)
        if (!root.isJsonObject) {
            throw JsonException("$name: expected a JSON object at the top level, got ${describe(root)}")
        }
        return JsonObjectView(root.asJsonObject, name)
    }

    private fun parse(text: String, name: String): JsonElement {
        val reader = DepthLimitedReader(text)
        try {
            val root = elementAdapter.read(reader)
            // In strict mode peek() itself rejects anything after the value.
            if (reader.peek() != JsonToken.END_DOCUMENT) throw MalformedJsonException("unexpected content after the JSON value")
            return root
        } catch (e: IOException) {
            throw syntaxError(name, reader, e)
        } catch (e: RuntimeException) {
            // Gson reports a bad \u escape as NumberFormatException, some states as IllegalStateException.
            throw syntaxError(name, reader, e)
        }
    }

    private fun syntaxError(name: String, reader: JsonReader, cause: Exception): JsonException {
        val message = cause.message ?: cause.javaClass.simpleName
        // Gson's messages end in " at line L column C path P" (and, since 2.11, a link);
        // strict-mode rejections start with advice to make the reader lenient.
        var reason = message.substringBefore(" at line ").trim()
        if (reason.startsWith("Use JsonReader.set")) reason = "malformed JSON"
        if (cause is NumberFormatException) reason = "invalid escape or number ($reason)"
        val where = LOCATION.find(message) ?: LOCATION.find(reader.toString())
        val position = if (where != null) " at line ${where.groupValues[1]}, column ${where.groupValues[2]}" else ""
        return JsonException("$name: JSON error$position: $reason")
    }

    /** Short description of a parsed value for error messages. */
    internal fun describe(value: JsonElement?): String = when {
        value == null || value.isJsonNull -> "null"
        value.isJsonObject -> "an object"
        value.isJsonArray -> "an array"
        else -> {
            val primitive = value.asJsonPrimitive
            val text = primitive.asString
            if (primitive.isString) {
                "the string \"" + (if (text.length > 40) text.substring(0, 40) + "..." else text) + "\""
            } else {
                text // a number as written, or true / false
            }
        }
    }
}

/** Malformed JSON, or a value of the wrong type or range; an [IllegalArgumentException]. */
class JsonException(message: String) : IllegalArgumentException(message)

/**
 * Typed read access to a JSON object found at [path]. Unknown keys are simply
 * never read; a key whose value is `null` counts as absent.
 */
class JsonObjectView internal constructor(private val node: JsonObject, val path: String) {
    /** The keys in file order (a repeated key keeps its last value). */
    val keys: Set<String> get() = node.keySet()

    /** True when the key is present and not null. */
    fun has(key: String): Boolean = valueOf(key) != null

    fun string(key: String): String = stringOrNull(key) ?: throw missing(key, "a string")

    fun stringOrNull(key: String): String? {
        val value = valueOf(key) ?: return null
        return asString(value) ?: throw wrongType(key, "a string", value)
    }

    fun int(key: String): Int = intOrNull(key) ?: throw missing(key, "an integer")

    fun intOrNull(key: String): Int? {
        val value = valueOf(key) ?: return null
        return asInt(value, "$path.$key")
    }

    fun double(key: String): Double = doubleOrNull(key) ?: throw missing(key, "a number")

    fun doubleOrNull(key: String): Double? {
        val value = valueOf(key) ?: return null
        return asDouble(value, "$path.$key")
    }

    fun obj(key: String): JsonObjectView = objOrNull(key) ?: throw missing(key, "an object")

    fun objOrNull(key: String): JsonObjectView? {
        val value = valueOf(key) ?: return null
        if (!value.isJsonObject) throw wrongType(key, "an object", value)
        return JsonObjectView(value.asJsonObject, "$path.$key")
    }

    fun array(key: String): JsonArrayView = arrayOrNull(key) ?: throw missing(key, "an array")

    fun arrayOrNull(key: String): JsonArrayView? {
        val value = valueOf(key) ?: return null
        if (!value.isJsonArray) throw wrongType(key, "an array", value)
        return JsonArrayView(value.asJsonArray, "$path.$key")
    }

    private fun valueOf(key: String): JsonElement? {
        val value = node.get(key)
        return if (value == null || value.isJsonNull) null else value
    }

    private fun missing(key: String, what: String) =
        JsonException("$path: missing \"$key\" (expected $what)")

    private fun wrongType(key: String, what: String, value: JsonElement) =
        JsonException("$path.$key: expected $what, got ${Json.describe(value)}")
}

/** Typed read access to a JSON array found at [path]. */
class JsonArrayView internal constructor(private val node: JsonArray, val path: String) {
    val size: Int get() = node.size()

    fun string(index: Int): String {
        val value = node.get(index)
        return asString(value) ?: throw JsonException("${at(index)}: expected a string, got ${Json.describe(value)}")
    }

    fun int(index: Int): Int = asInt(node.get(index), at(index))

    fun double(index: Int): Double = asDouble(node.get(index), at(index))

    fun obj(index: Int): JsonObjectView {
        val value = node.get(index)
        if (!value.isJsonObject) throw JsonException("${at(index)}: expected an object, got ${Json.describe(value)}")
        return JsonObjectView(value.asJsonObject, at(index))
    }

    fun array(index: Int): JsonArrayView {
        val value = node.get(index)
        if (!value.isJsonArray) throw JsonException("${at(index)}: expected an array, got ${Json.describe(value)}")
        return JsonArrayView(value.asJsonArray, at(index))
    }

    fun ints(): List<Int> = (0 until size).map { int(it) }

    fun doubles(): List<Double> = (0 until size).map { double(it) }

    fun strings(): List<String> = (0 until size).map { string(it) }

    private fun at(index: Int) = "$path[$index]"
}

/** The string, when [value] is a JSON string (Gson's getAsString would also turn numbers into text). */
private fun asString(value: JsonElement?): String? {
    val primitive = value as? JsonPrimitive ?: return null
    return if (primitive.isString) primitive.asString else null
}

/** The number as written in the file, or an error naming [path]. */
private fun numberLiteral(value: JsonElement?, path: String, what: String): String {
    val primitive = value as? JsonPrimitive
    if (primitive == null || !primitive.isNumber) throw JsonException("$path: expected $what, got ${Json.describe(value)}")
    return primitive.asString
}

private fun asInt(value: JsonElement?, path: String): Int {
    val literal = numberLiteral(value, path, "an integer")
    val number = try {
        BigDecimal(literal)
    } catch (e: NumberFormatException) {
        throw JsonException("$path: expected an integer, got $literal")
    }
    // 3.0 is an integer written by a float-minded writer; 3.5 is not.
    if (number.stripTrailingZeros().scale() > 0) throw JsonException("$path: expected an integer, got $literal")
    if (number < BigDecimal(Int.MIN_VALUE) || number > BigDecimal(Int.MAX_VALUE)) {
        throw JsonException("$path: $literal does not fit in an Int")
    }
    return number.intValueExact()
}

private fun asDouble(value: JsonElement?, path: String): Double =
    numberLiteral(value, path, "a number").toDouble()

/** A strict [JsonReader] (the default) that refuses nesting deeper than [Json.MAX_DEPTH]. */
private class DepthLimitedReader(text: String) : JsonReader(StringReader(text)) {
    private var depth = 0

    override fun beginArray() {
        enter()
        super.beginArray()
    }

    override fun endArray() {
        super.endArray()
        depth--
    }

    override fun beginObject() {
        enter()
        super.beginObject()
    }

    override fun endObject() {
        super.endObject()
        depth--
    }

    private fun enter() {
        depth++
        if (depth > Json.MAX_DEPTH) throw MalformedJsonException("nesting deeper than ${Json.MAX_DEPTH} levels")
    }
}
