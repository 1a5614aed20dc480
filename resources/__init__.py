"""Package data shipped with mlpgui (installed as `mlpgui.resources`): MNIST and icons."""
