"""NBA Props Lake: Dagster assets, one module per layer."""
