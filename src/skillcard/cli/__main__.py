from skillcard.cli import main

main()
