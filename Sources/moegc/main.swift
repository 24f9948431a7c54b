import MoegcDriver
Moegc.main()
