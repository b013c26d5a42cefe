# The app's first migration, empty on purpose: it fixes the app label in the migration graph
# before any model exists.
from django.db import migrations


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = []
