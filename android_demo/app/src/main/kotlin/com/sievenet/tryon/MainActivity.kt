package com.sievenet.tryon

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.enableEdgeToEdge
import androidx.activity.viewModels
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import com.sievenet.tryon.ui.PhotoActions
import com.sievenet.tryon.ui.SieveNetTheme
import com.sievenet.tryon.ui.TryOnScreen

class MainActivity : ComponentActivity() {
    private val viewModel: MainViewModel by viewModels { MainViewModel.getFactory(this) }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        enableEdgeToEdge()
        setContent {
            val uiState by viewModel.uiState.collectAsStateWithLifecycle()
            val photoActions = remember {
                PhotoActions(
                    onPersonPhoto = viewModel::onPersonPhoto,
                    onGarmentPhoto = viewModel::onGarmentPhoto,
                    newCameraUri = viewModel::newCameraUri,
                    onSelectGarment = viewModel::selectPhotoGarment,
                    onUseOwnGarment = viewModel::useOwnGarment,
                    onTryOn = viewModel::tryOnPhoto,
                    onMessage = viewModel::showMessage
                )
            }
            SieveNetTheme {
                TryOnScreen(
                    uiState = uiState,
                    onMode = viewModel::setMode,
                    onSelectPerson = viewModel::selectPerson,
                    onSelectGarment = viewModel::selectGarment,
                    onAccelerator = viewModel::setAccelerator,
                    onThreads = viewModel::setThreads,
                    onVariant = viewModel::setVariant,
                    onTryOn = viewModel::tryOn,
                    photoActions = photoActions,
                    onErrorShown = viewModel::errorShown
                )
            }
        }
    }
}
