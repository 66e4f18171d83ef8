from folkhalsa.cli import app

app(prog_name="folkhalsa")
