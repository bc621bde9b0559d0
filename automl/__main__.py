from automl.cli import console_main

console_main()
