package com.sievenet.tryon.core

import org.junit.internal.TextListener
import org.junit.runner.JUnitCore
import kotlin.system.exitProcess

/**
 * Runs the given JUnit 4 test classes with [JUnitCore] and ends with the line
 * `N passed, N failed` (run_jvm_tests.sh). Not a test itself.
 */
object JvmTestMain {
    @JvmStatic
    fun main(args: Array<String>) {
        val classes = args.map { Class.forName(it) }
        val core = JUnitCore()
        core.addListener(TextListener(System.out))
        val result = core.run(*classes.toTypedArray())
        val failed = result.failureCount
        val skipped = result.ignoreCount + result.assumptionFailureCount
        val passed = result.runCount - failed - result.assumptionFailureCount
        if (skipped > 0) println("($skipped skipped: ignored or assumption not met)")
        println("$passed passed, $failed failed")
        exitProcess(if (result.wasSuccessful() && classes.isNotEmpty()) 0 else 1)
    }
}
