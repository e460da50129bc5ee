from phantom.app.cli import main

main()
