package com.sievenet.tryon.core

import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test

class PhotoOverlayTest {
    private val labels = TestSupport.photoFixture().labelSetOrNull("model")!!

    @Test
    fun theParseIsMixedIntoThePhotoExceptTheBackground() {
        val photo = ArgbImage(2, 1, intArrayOf(ArgbImage.argb(100, 100, 100), ArgbImage.argb(100, 100, 100)))
        val parse = LabelMap(2, 1, intArrayOf(0, 5)) // background, upper_clothes (254, 85, 0)
        val blended = PhotoOverlay.blendParse(photo, parse, labels)
        assertEquals(ArgbImage.argb(100, 100, 100), blended[0, 0])
        assertEquals(ArgbImage.argb(177, 93, 50), blended[1, 0])
        assertEquals(ArgbImage.argb(254, 85, 0), PhotoOverlay.blendParse(photo, parse, labels, alpha = 1f)[1, 0])
        assertIllegalArgument("the parse is 1x1") { PhotoOverlay.blendParse(photo, LabelMap(1, 1, intArrayOf(0)), labels) }
    }

    @Test
    fun theLegendListsTheClassesFound() {
        val parse = LabelMap(4, 2, intArrayOf(0, 0, 5, 5, 5, 13, 13, 14))
        val legend = PhotoOverlay.legend(parse, labels)
        assertEquals(listOf("upper clothes", "face", "left arm"), legend.map { it.name })
        assertEquals(listOf(3, 2, 1), legend.map { it.pixels })
        assertEquals(ArgbImage.argb(254, 85, 0), legend[0].color)
    }

    @Test
    fun limbsJoinPresentKeypointsByName() {
        for ((a, b) in PhotoOverlay.COCO18_LIMBS) {
            assertTrue(a, a in OpenPose.COCO18_NAMES)
            assertTrue(b, b in OpenPose.COCO18_NAMES)
        }
        val all = OpenPose.COCO18_NAMES.map { PredictedKeypoint(it, 1f, 2f, 0.9f) }
        assertEquals(17, PhotoOverlay.limbs(all).size)
        // Without the neck, the six limbs from it go; a NaN wrist is not drawn.
        val some = all.map {
            when (it.name) {
                "neck" -> PredictedKeypoint("neck", 0f, 0f, 0f)
                "r_wrist" -> PredictedKeypoint("r_wrist", Float.NaN, 3f, 0.9f)
                else -> it
            }
        }
        assertEquals(17 - 5 - 1, PhotoOverlay.limbs(some).size)
        assertEquals(16, PhotoOverlay.visiblePoints(some).size)
        // Keypoints without names (a contract without keypoint_names) have no limbs.
        assertEquals(0, PhotoOverlay.limbs(all.map { PredictedKeypoint(null, it.x, it.y, it.confidence) }).size)
    }

    @Test
    fun viewCoordinatesPutPixelCentresInTheMiddleOfTheirPixel() {
        assertEquals(0.5f / 48, PhotoOverlay.viewX(0f, 48), 1e-7f)
        assertEquals(47.5f / 48, PhotoOverlay.viewX(47f, 48), 1e-7f)
        assertEquals(0.5f, PhotoOverlay.viewY(31.5f, 64), 1e-7f)
    }
}
