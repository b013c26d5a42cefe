"""The intake's old medical-evaluation fields go, once 0004 has moved what they held."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('clients', '0004_medical_evaluation_data'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='intake',
            name='medical_evaluation_completed_on',
        ),
        migrations.RemoveField(
            model_name='intake',
            name='medical_evaluation_recommended',
        ),
        migrations.RemoveField(
            model_name='intake',
            name='medical_findings',
        ),
    ]
