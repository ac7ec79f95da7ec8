package com.sievenet.tryon.core

import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test

/** The path-aware access over Gson's tree (Json.kt); Gson's own parsing is not retested here. */
class JsonTest {
    @Test
    fun rejectsMalformedInputWithPosition() {
        val cases = listOf(
            "", "{", "{\"a\": [1, 2", "{\"a\": [1,]}", "{\"a\": 1,}", "{\"a\" 1}", "{\"a\": \"abc",
            "{\"a\": \"a\\x\"}", "{\"a\": \"\\u12g4\"}", "{\"a\": 01}", "{\"a\": 1.}", "{\"a\": 1e}",
            "{\"a\": -}", "{\"a\": tru}", "{} {}",
            // What Gson accepts only in lenient mode, which this reader never enables.
            "{\"a\": NaN}", "{'a': 1}", "{a: 1}", "{\"a\": 1} // note", "{\"a\": 1};", "{\"a\" = 1}"
        )
        for (text in cases) {
            assertIllegalArgument("doc: JSON error at line 1, column") { Json.parseObject(text, "doc") }
        }
    }

    @Test
    fun reportsLineAndColumn() {
        assertIllegalArgument("line 3, column 8") { Json.parseObject("{\n  \"a\": 1,\n  \"b\": ?\n}", "doc") }
    }

    @Test
    fun limitsNesting() {
        assertIllegalArgument("nesting deeper than 200") {
            Json.parseObject("[".repeat(500) + "]".repeat(500), "doc")
        }
        assertIllegalArgument("nesting deeper than 200") {
            Json.parseObject("{\"a\": ".repeat(300) + "1" + "}".repeat(300), "doc")
        }
        val deep = Json.parseObject("{\"a\": " + "[".repeat(100) + "]".repeat(100) + "}", "doc")
        assertEquals(1, deep.array("a").size)
    }

    @Test
    fun typedAccessNamesTheField() {
        val root = Json.parseObject("""{"n": 3, "f": 2.5, "s": "x", "a": [1, "two"], "o": {"k": true}}""", "doc")
        assertEquals(3, root.int("n"))
        assertEquals(3.0, root.double("n"), 0.0)
        assertEquals("x", root.string("s"))
        assertTrue(root.has("o"))
        assertNull(root.stringOrNull("missing"))
        assertIllegalArgument("doc.f: expected an integer, got 2.5") { root.int("f") }
        assertIllegalArgument("doc.s: expected an integer") { root.int("s") }
        assertIllegalArgument("doc: missing \"missing\"") { root.string("missing") }
        assertIllegalArgument("doc.a[1]: expected an integer, got the string \"two\"") { root.array("a").ints() }
        assertIllegalArgument("doc.o: expected an array, got an object") { root.array("o") }
        assertIllegalArgument("doc: expected a JSON object at the top level, got an array") {
            Json.parseObject("[1]", "doc")
        }
        assertEquals(4, Json.parseObject("""{"x": 4.0}""", "doc").int("x"))
    }

    @Test
    fun numbersAreNotStringsAndStringsAreNotNumbers() {
        val root = Json.parseObject("""{"n": 64, "s": "64", "b": true}""", "doc")
        assertIllegalArgument("doc.n: expected a string, got 64") { root.string("n") }
        assertIllegalArgument("doc.s: expected a number, got the string \"64\"") { root.double("s") }
        assertIllegalArgument("doc.b: expected an integer, got true") { root.int("b") }
    }

    @Test
    fun integersMustFitAnInt() {
        val root = Json.parseObject("""{"big": 100000000000000000000, "max": 2147483647, "tiny": 1e-3}""", "doc")
        assertIllegalArgument("doc.big: 100000000000000000000 does not fit in an Int") { root.int("big") }
        assertEquals(1.0e20, root.double("big"), 0.0)
        assertEquals(Int.MAX_VALUE, root.int("max"))
        assertIllegalArgument("doc.tiny: expected an integer, got 1e-3") { root.int("tiny") }
        assertEquals(1.0e-3, root.double("tiny"), 0.0)
    }

    @Test
    fun nullCountsAsAbsentAndKeysKeepFileOrder() {
        val root = Json.parseObject("""{"z": null, "b": [null], "a": {}}""", "doc")
        assertFalse(root.has("z"))
        assertNull(root.stringOrNull("z"))
        assertIllegalArgument("doc: missing \"z\" (expected a string)") { root.string("z") }
        assertIllegalArgument("doc.b[0]: expected an integer, got null") { root.array("b").int(0) }
        assertEquals(listOf("z", "b", "a"), root.keys.toList())
    }
}
