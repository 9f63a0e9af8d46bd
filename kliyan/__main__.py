from kliyan.cli import main

main()
