import ParleyCLI

await ParleyMain.run()
